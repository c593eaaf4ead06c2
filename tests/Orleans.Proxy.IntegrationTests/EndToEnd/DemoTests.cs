using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Proxy.Embedded.Hosting;
using Orleans.Proxy.IntegrationTests.Infrastructure;

namespace Orleans.Proxy.IntegrationTests.EndToEnd;

/// <summary>The README's first command: the embedded host with --demo (its backends listen on 127.0.0.1:5101-5104).</summary>
public sealed class DemoTests
{
    [Fact]
    public async Task DemoReady_TheCurlItSuggests_AnswersAtOnce()
    {
        var ready = new ReadyLine();
        await using var edge = await TestEdge.StartEmbeddedAsync(
            Path.Combine(AppContext.BaseDirectory, "samples", "demo"),
            new Dictionary<string, string?> { [EmbeddedArguments.DemoKey] = "true" },
            services => services.AddSingleton<ILoggerProvider>(ready));

        await ready.Written.WaitAsync(TimeSpan.FromSeconds(60));

        // No retry: the line promises that this request is served now.
        var root = await edge.GetBodyAsync("demo.local", "/");
        var api = await edge.GetBodyAsync("demo.local", "/api");
        Assert.StartsWith("200 served by demo-web-", root, StringComparison.Ordinal);
        Assert.StartsWith("200 served by demo-api ", api, StringComparison.Ordinal);
    }

    /// <summary>Completes when the demo writes its "Demo ready" line.</summary>
    private sealed class ReadyLine : ILoggerProvider, ILogger
    {
        private readonly TaskCompletionSource _written = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Written => _written.Task;

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (formatter(state, exception).StartsWith("Demo ready.", StringComparison.Ordinal))
            {
                _written.TrySetResult();
            }
        }

        public void Dispose()
        {
        }
    }
}
