using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Orleans.Proxy.Health;
using Orleans.Proxy.Routing;

namespace Orleans.Proxy.UnitTests.Health;

/// <summary>The active probe against an in-memory handler; its timeout runs on a fake clock.</summary>
public sealed class DestinationProberTests
{
    private static readonly HealthCheckSpec Spec = new("/healthz", TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(250), HealthyThreshold: 1, UnhealthyThreshold: 2);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private DestinationProber Prober(Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> answer) =>
        new(new HandlerFactory(new Handler(answer)), _time);

    private static Task<HttpResponseMessage> Hang(CancellationToken cancellationToken) =>
        Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith<HttpResponseMessage>(_ => throw new TaskCanceledException(), TaskScheduler.Default);

    [Theory]
    [InlineData(HttpStatusCode.OK, true)]
    [InlineData(HttpStatusCode.NoContent, true)]
    [InlineData(HttpStatusCode.Found, true)]
    [InlineData(HttpStatusCode.NotFound, false)]
    [InlineData(HttpStatusCode.ServiceUnavailable, false)]
    public async Task ProbeAsync_Status_SuccessFor2xxAnd3xx(HttpStatusCode status, bool success)
    {
        Uri? asked = null;
        var prober = Prober((request, _) =>
        {
            asked = request.RequestUri;
            return Task.FromResult(new HttpResponseMessage(status));
        });

        var results = await prober.ProbeAllAsync([new ProbeTarget("d", "http://10.0.0.1:8080/")], Spec, CancellationToken.None);

        var result = Assert.Single(results);
        Assert.Equal(success, result.Success);
        Assert.Equal(((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture), result.Outcome);
        Assert.Equal(new Uri("http://10.0.0.1:8080/healthz"), asked);
        Assert.Equal(_time.GetUtcNow(), result.At);
    }

    [Fact]
    public async Task ProbeAsync_NoAnswerWithinTimeout_FailureNamingTheTimeout()
    {
        var prober = Prober((_, cancellationToken) => Hang(cancellationToken));

        var probe = prober.ProbeAllAsync([new ProbeTarget("d", "http://10.0.0.1/")], Spec, CancellationToken.None);
        _time.Advance(Spec.Timeout - TimeSpan.FromMilliseconds(1));
        Assert.False(probe.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        var result = Assert.Single(await probe);
        Assert.False(result.Success);
        Assert.Equal("timeout after 250 ms", result.Outcome);
        Assert.Equal(250, result.Milliseconds);
    }

    [Fact]
    public async Task ProbeAsync_AnswerJustBeforeTimeout_SuccessTimedOnTheClock()
    {
        var answer = new TaskCompletionSource<HttpResponseMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        var prober = Prober((_, _) => answer.Task);

        var probe = prober.ProbeAllAsync([new ProbeTarget("d", "http://10.0.0.1/")], Spec, CancellationToken.None);
        _time.Advance(TimeSpan.FromMilliseconds(200));
        answer.SetResult(new HttpResponseMessage(HttpStatusCode.OK));

        var result = Assert.Single(await probe);
        Assert.True(result.Success);
        Assert.Equal(200, result.Milliseconds);
    }

    [Fact]
    public async Task ProbeAsync_ConnectionRefused_FailureNamingTheError()
    {
        var prober = Prober((_, _) => throw new HttpRequestException(HttpRequestError.ConnectionError, "refused"));

        var result = Assert.Single(await prober.ProbeAllAsync([new ProbeTarget("d", "http://10.0.0.1/")], Spec, CancellationToken.None));

        Assert.False(result.Success);
        Assert.Equal(nameof(HttpRequestError.ConnectionError), result.Outcome);
    }

    [Fact]
    public async Task ProbeAllAsync_DestinationStopsAnswering_TimeoutsMakeItUnhealthy()
    {
        var hanging = false;
        var prober = Prober((_, cancellationToken) => hanging ? Hang(cancellationToken) : Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)));
        var tracker = new BackendHealthTracker("ns/web:80", _time, NullLogger.Instance);
        tracker.Follow(new BackendSpec("ns/web:80", 1, [new DestinationSpec("d", "http://10.0.0.1/")]) { HealthCheck = Spec });

        async Task RoundAsync()
        {
            var targets = tracker.ProbeTargets();
            var round = prober.ProbeAllAsync(targets, Spec, CancellationToken.None);
            _time.Advance(Spec.Timeout);
            tracker.RecordProbes(Spec, targets, await round);
            _time.Advance(Spec.Interval - Spec.Timeout);
        }

        await RoundAsync();
        hanging = true;
        await RoundAsync();
        tracker.UpdateVerdict();
        Assert.Empty(tracker.Verdict.Unavailable);

        await RoundAsync();
        tracker.UpdateVerdict();
        Assert.Equal<string>(["d"], tracker.Verdict.Unavailable);
        Assert.All(tracker.Report(0).Destinations[0].RecentProbes.Skip(1), p => Assert.StartsWith("timeout", p.Outcome, StringComparison.Ordinal));
    }

    private sealed class Handler(Func<HttpRequestMessage, CancellationToken, Task<HttpResponseMessage>> answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            answer(request, cancellationToken);
    }

    private sealed class HandlerFactory(HttpMessageHandler handler) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name)
        {
            Assert.Equal(BackendProbes.HttpClientName, name);
            return new HttpClient(handler, disposeHandler: false);
        }
    }
}
