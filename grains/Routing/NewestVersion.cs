namespace Orleans.Proxy.Routing;

/// <summary>
/// Holds the newest value a grain was given: an equal or older version is refused, so a writer
/// that fell behind (an old leader, a delayed call) never overwrites a newer one; a version too far
/// ahead of this silo's clock is refused too (<see cref="VersionClock"/>), so nothing can pin the
/// grain out of the route source's reach.
/// </summary>
internal sealed class NewestVersion<T> where T : class, IVersioned
{
    public T? Value { get; private set; }

    public long HeldVersion => Value?.Version ?? 0;

    public VersionedWrite TrySet(T value, DateTimeOffset now)
    {
        if (VersionClock.IsTooFarAhead(value.Version, now) || (Value is not null && value.Version <= Value.Version))
        {
            return new VersionedWrite(false, HeldVersion);
        }

        Value = value;
        return new VersionedWrite(true, value.Version);
    }
}
