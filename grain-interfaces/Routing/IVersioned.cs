namespace Orleans.Proxy.Routing;

/// <summary>State written by the route source with a version; grains keep only the newest.</summary>
public interface IVersioned
{
    long Version { get; }
}
