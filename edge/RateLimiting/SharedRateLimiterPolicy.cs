using Orleans.Proxy.Edge.AccessLog;
using System.Globalization;
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
internal sealed class SharedRateLimiterPolicy(RateLimitLeases leases, ClientIpResolver clientIp) : IRateLimiterPolicy<string>
{
    private const int MaxKeyLength = 128;

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected { get; } = WriteRejection;

    public RateLimitPartition<string> GetPartition(HttpContext httpContext)
    {
        var route = httpContext.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config;
        var policies = route is null ? [] : RateLimitRoutes.For(route);
        if (policies.Length == 0)
        {
            return RateLimitPartition.GetNoLimiter(string.Empty);
        }

        var address = clientIp.Resolve(httpContext);
        var parts = new List<(RateLimitSpec Spec, string Partition)>(policies.Length);
        foreach (var policy in policies)
        {
            if (!ClientIpResolver.IsTrusted(address, policy.Whitelist))
            {
                // Keyed by route: the matched route's own id, not its YARP route's, which other routes may share.
                parts.Add((policy.Spec, PartitionKey(policy.Spec, httpContext, httpContext.Features.GetRequiredFeature<RouteMatchFeature>().Route.RouteId, address.ToString())));
            }
        }

        if (parts.Count == 0)
        {
            return RateLimitPartition.GetNoLimiter(string.Empty);
        }

        // The parameters are part of the key: a changed policy gets a fresh limiter, the old one idles out.
        var key = string.Join('\n', parts.Select(p => IRateLimitGrain.Key(p.Spec, p.Partition)));
        return RateLimitPartition.Get(key, _ => parts.Count == 1
            ? new LeasedRateLimiter(parts[0].Spec, parts[0].Partition, leases)
            : new OwningChain([.. parts.Select(p => new LeasedRateLimiter(p.Spec, p.Partition, leases))]));
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

    internal static string PartitionKey(RateLimitSpec spec, HttpContext context, string routeId, string clientAddress) => spec.Key switch
    {
        RateLimitKeyKind.Route => routeId,
        RateLimitKeyKind.Host => context.Request.Host.Host.ToLowerInvariant(),
        RateLimitKeyKind.Header => Bounded(context.Request.Headers[spec.HeaderName!].ToString()),
        _ => clientAddress,
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
