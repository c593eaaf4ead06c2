namespace Orleans.Proxy.Routing;

/// <summary>State written by the route source with a version; grains keep only the newest.</summary>
public interface IVersioned
{
    long Version { get; }
}

/// <summary>
/// What a versioned write did. <see cref="HeldVersion"/> is the version the grain holds after the
/// call: the written one when <see cref="Stored"/> or already held; a newer one when the write was
/// older; an older one when the write was refused as too far ahead of the grain's clock.
/// </summary>
[GenerateSerializer, Immutable, Alias("op.VersionedWrite")]
public sealed record VersionedWrite([property: Id(0)] bool Stored, [property: Id(1)] long HeldVersion);

/// <summary>
/// Versions and catalog generations are microseconds since the Unix epoch on the writer's clock
/// (kept above the last one it used). A grain refuses a version more than <see cref="MaxAhead"/>
/// ahead of its own clock, so no write can pin a grain far in the future, beyond the reach of the
/// route source's later writes.
/// </summary>
public static class VersionClock
{
    /// <summary>Clock skew tolerated between the writer's silo and the grain's (NTP keeps nodes far closer).</summary>
    public static readonly TimeSpan MaxAhead = TimeSpan.FromMinutes(5);

    /// <summary>The version a writer would use at <paramref name="now"/>.</summary>
    public static long At(DateTimeOffset now) => now.ToUnixTimeMilliseconds() * 1000;

    /// <summary>True when <paramref name="version"/> is further ahead of <paramref name="now"/> than <see cref="MaxAhead"/>.</summary>
    public static bool IsTooFarAhead(long version, DateTimeOffset now) => version > At(now + MaxAhead);
}
