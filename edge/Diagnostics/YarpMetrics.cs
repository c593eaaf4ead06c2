using System.Diagnostics.Metrics;
using System.Diagnostics.Tracing;

namespace Orleans.Proxy.Edge.Diagnostics;

/// <summary>
/// YARP 2.3 publishes its forwarder counters as EventCounters only; this listener turns them into
/// instruments of a "Yarp.ReverseProxy" meter so they are scraped with the rest. It enables the
/// event source at Critical level, as dotnet-counters does: counters only, no per-request events.
/// </summary>
internal sealed class YarpMetrics : EventListener
{
    public const string MeterName = "Yarp.ReverseProxy";

    private readonly Dictionary<string, double> _values = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public YarpMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableCounter("yarp.proxy.requests.started", () => (long)Read("requests-started"), "{request}", "Requests forwarded since the process started");
        meter.CreateObservableCounter("yarp.proxy.requests.failed", () => (long)Read("requests-failed"), "{request}", "Forwarded requests that failed");
        meter.CreateObservableUpDownCounter("yarp.proxy.requests.current", () => (long)Read("current-requests"), "{request}", "Requests being forwarded now");
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == MeterName)
        {
            EnableEvents(eventSource, EventLevel.Critical, EventKeywords.None, new Dictionary<string, string?> { ["EventCounterIntervalSec"] = "1" });
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName == "EventCounters" && eventData.Payload is [IDictionary<string, object?> payload, ..]
            && payload.TryGetValue("Name", out var name) && name is string counter && payload.TryGetValue("Mean", out var mean) && mean is double value)
        {
            lock (_lock)
            {
                _values[counter] = value;
            }
        }
    }

    private double Read(string counter)
    {
        lock (_lock)
        {
            return _values.GetValueOrDefault(counter);
        }
    }
}
