using Orleans.Proxy.Edge.AccessLog;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.RateLimiting;
using Orleans.Proxy.Edge.Hosting;
using Orleans.Proxy.Edge.Matching;
using Orleans.Proxy.RateLimiting;
using Yarp.ReverseProxy.Model;

namespace Orleans.Proxy.Edge.RateLimiting;

/// <summary>
/// The ASP.NET Core rate limiting policy YARP routes name in RouteConfig.RateLimiterPolicy. It maps
/// a request to its partitions (one per policy of the route) and ASP.NET Core caches one limiter
/// per partition, disposing it (which returns its unused tokens) after it has been idle a while.
/// </summary>
internal sealed class SharedRateLimiterPolicy : IRateLimiterPolicy<RateLimitPartitionKey>
{
    private const int MaxKeyLength = 128;

    private readonly ClientIpResolver _clientIp;

    // One delegate for every request: a lambda capturing the request's partitions would be allocated on each.
    private readonly Func<RateLimitPartitionKey, RateLimiter> _createLimiter;

    public SharedRateLimiterPolicy(RateLimitLeases leases, ClientIpResolver clientIp)
    {
        _clientIp = clientIp;
        _createLimiter = key => key.Policies.Length == 1
            ? new LeasedRateLimiter(key.Policies[0].Spec, key.Partitions[0], leases)
            : new OwningChain([.. key.Policies.Select((policy, i) => new LeasedRateLimiter(policy.Spec, key.Partitions[i], leases))]);
    }

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected { get; } = WriteRejection;

    public RateLimitPartition<RateLimitPartitionKey> GetPartition(HttpContext httpContext)
    {
        var route = httpContext.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config;
        var policies = route is null ? [] : RateLimitRoutes.For(route);
        if (policies.Length == 0)
        {
            return RateLimitPartition.GetNoLimiter(RateLimitPartitionKey.None);
        }

        var address = _clientIp.Resolve(httpContext);
        var applied = new RateLimitRoutes.Policy[policies.Length];
        var partitions = new string[policies.Length];
        var count = 0;
        foreach (var policy in policies)
        {
            if (!ClientIpResolver.IsTrusted(address, policy.Whitelist))
            {
                applied[count] = policy;
                // Keyed by route: the matched route's own id, not its YARP route's, which other routes may share.
                partitions[count++] = PartitionKey(policy.Spec, httpContext, httpContext.Features.GetRequiredFeature<RouteMatchFeature>().Route.RouteId, address);
            }
        }

        if (count == 0)
        {
            return RateLimitPartition.GetNoLimiter(RateLimitPartitionKey.None);
        }

        // A whitelist exempted this client from some of the route's policies.
        if (count < policies.Length)
        {
            Array.Resize(ref applied, count);
            Array.Resize(ref partitions, count);
        }

        // The parameters are part of the key: a changed policy gets a fresh limiter, the old one idles out.
        var key = count == 1
            ? string.Concat(applied[0].KeyPrefix, partitions[0])
            : string.Join('\n', applied.Select((policy, i) => string.Concat(policy.KeyPrefix, partitions[i])));
        return RateLimitPartition.Get(new RateLimitPartitionKey(key, applied, partitions), _createLimiter);
    }

    /// <summary>
    /// Every policy of the route must admit (as ingress-nginx applies both limit-rps and limit-rpm).
    /// RateLimiter.CreateChained does not dispose its limiters; this one does, so they give their tokens back.
    /// </summary>
    private sealed class OwningChain(LeasedRateLimiter[] limiters) : RateLimiter
    {
        private readonly RateLimiter _chain = CreateChained(limiters);

        public override TimeSpan? IdleDuration => _chain.IdleDuration;

        public override RateLimiterStatistics? GetStatistics() => _chain.GetStatistics();

        protected override RateLimitLease AttemptAcquireCore(int permitCount) => _chain.AttemptAcquire(permitCount);

        protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
            _chain.AcquireAsync(permitCount, cancellationToken);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _chain.Dispose();
                foreach (var limiter in limiters)
                {
                    limiter.Dispose();
                }
            }

            base.Dispose(disposing);
        }

        protected override ValueTask DisposeAsyncCore()
        {
            Dispose(true);
            return ValueTask.CompletedTask;
        }
    }

    private static string PartitionKey(RateLimitSpec spec, HttpContext context, string routeId, IPAddress clientAddress) => spec.Key switch
    {
        RateLimitKeyKind.Route => routeId,
        RateLimitKeyKind.Host => context.Request.Host.Host.ToLowerInvariant(),
        RateLimitKeyKind.Header => Bounded(context.Request.Headers[spec.HeaderName!].ToString()),
        _ => clientAddress.ToString(),
    };

    // Keys name grains: a long header value is hashed, so a client cannot make keys of any size.
    private static string Bounded(string value) =>
        value.Length <= MaxKeyLength ? value : "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    /// <summary>429 (or the route's limit-req-status-code) with Retry-After and the IETF RateLimit-Policy / RateLimit fields (draft-ietf-httpapi-ratelimit-headers).</summary>
    private static ValueTask WriteRejection(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var response = context.HttpContext.Response;
        // The controller ConfigMap's limit-req-status-code, else 429.
        response.StatusCode = ControllerDefaults.ControllerDefaultsRoutes.LimitStatus(context.HttpContext) ?? StatusCodes.Status429TooManyRequests;
        context.HttpContext.Features.Get<IAccessLogFeature>()?.RateLimit = "rejected";
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds));
        response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        if (context.Lease.TryGetMetadata(LeasedRateLimiter.PolicyMetadata, out var spec) && spec is not null)
        {
            var name = spec.PolicyId.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
            response.Headers["RateLimit-Policy"] = string.Create(CultureInfo.InvariantCulture, $"\"{name}\";q={spec.Permits};w={(int)spec.PeriodLength.TotalSeconds}");
            response.Headers["RateLimit"] = string.Create(CultureInfo.InvariantCulture, $"\"{name}\";r=0;t={seconds}");
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// A request's rate-limit partition: the limiter cache's key (compared by <see cref="Key"/>), and the
/// policies that apply and their partitions, which a new limiter for it is built from.
/// </summary>
internal sealed class RateLimitPartitionKey(string key, RateLimitRoutes.Policy[] policies, string[] partitions) : IEquatable<RateLimitPartitionKey>
{
    /// <summary>Requests no policy applies to.</summary>
    public static readonly RateLimitPartitionKey None = new(string.Empty, [], []);

    /// <summary>The bucket grain's key per policy ("policy#rate/period/capacity|partition"), one per line.</summary>
    public string Key { get; } = key;

    public RateLimitRoutes.Policy[] Policies { get; } = policies;

    public string[] Partitions { get; } = partitions;

    public bool Equals(RateLimitPartitionKey? other) => other is not null && string.Equals(Key, other.Key, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as RateLimitPartitionKey);

    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Key);

    public override string ToString() => Key;
}
