namespace Orleans.Proxy.Routing;

/// <summary>
/// Holds the newest value a grain was given: an equal or older version is refused, so a writer
/// that fell behind (an old leader, a delayed call) never overwrites a newer one.
/// </summary>
internal sealed class NewestVersion<T> where T : class, IVersioned
{
    public T? Value { get; private set; }

    public bool TrySet(T value)
    {
        if (Value is not null && value.Version <= Value.Version)
        {
            return false;
        }

        Value = value;
        return true;
    }
}
