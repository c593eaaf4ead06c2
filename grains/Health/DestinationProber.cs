using System.Globalization;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.Health;

/// <summary>
/// The active probe of a destination: GET the health-check path, 2xx and 3xx are healthy; anything
/// else, a transport error or no answer within the timeout is a failure. The timeout and the
/// timings run on the <see cref="TimeProvider"/>.
/// </summary>
internal sealed class DestinationProber(IHttpClientFactory httpClients, TimeProvider time)
{
    /// <summary>One round: every target probed in parallel; results in the order of the targets.</summary>
    public Task<ProbeResult[]> ProbeAllAsync(IReadOnlyList<ProbeTarget> targets, HealthCheckSpec spec, CancellationToken cancellationToken)
    {
        var client = httpClients.CreateClient(BackendProbes.HttpClientName);
        return Task.WhenAll(targets.Select(t => ProbeAsync(client, t.Address, spec, cancellationToken)));
    }

    public async Task<ProbeResult> ProbeAsync(HttpClient client, string address, HealthCheckSpec spec, CancellationToken cancellationToken)
    {
        var at = time.GetUtcNow();
        var started = time.GetTimestamp();
        using var timeout = new CancellationTokenSource(spec.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        bool success;
        string outcome;
        try
        {
            using var response = await client.GetAsync(new Uri(new Uri(address), spec.Path), HttpCompletionOption.ResponseHeadersRead, linked.Token);
            var status = (int)response.StatusCode;
            success = status is >= 200 and < 400;
            outcome = status.ToString(CultureInfo.InvariantCulture);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            success = false;
            outcome = $"timeout after {spec.Timeout.TotalMilliseconds:0} ms";
        }
        catch (HttpRequestException e)
        {
            success = false;
            outcome = e.HttpRequestError.ToString();
        }

        return new ProbeResult(at, success, outcome, time.GetElapsedTime(started).TotalMilliseconds);
    }
}
