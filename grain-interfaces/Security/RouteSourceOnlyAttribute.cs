namespace Orleans.Proxy.Security;

/// <summary>
/// Declares, at the contract, a grain method that writes desired state: only the route source
/// inside a silo may call it. Silos refuse it from cluster clients (edges) with
/// <see cref="RouteSourceOnlyException"/>; edges read that state and never write it.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class RouteSourceOnlyAttribute : Attribute;

/// <summary>A cluster client (an edge) called a <see cref="RouteSourceOnlyAttribute"/> method.</summary>
[GenerateSerializer, Alias("op.RouteSourceOnlyException")]
public sealed class RouteSourceOnlyException : Exception
{
    public RouteSourceOnlyException()
    {
    }

    public RouteSourceOnlyException(string message) : base(message)
    {
    }

    public RouteSourceOnlyException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
