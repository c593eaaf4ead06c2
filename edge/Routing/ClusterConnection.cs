namespace Orleans.Proxy.Edge.Routing;

/// <summary>This edge's view of its link to the silos, for /diag/edge and readiness.</summary>
internal sealed class ClusterConnection(TimeProvider time)
{
    private readonly object _lock = new();

    public bool Connected { get; private set; }

    public DateTimeOffset? LastContact { get; private set; }

    public DateTimeOffset? DisconnectedSince { get; private set; }

    public string? LastError { get; private set; }

    /// <summary>True on the first success after a failure (or ever).</summary>
    public bool MarkConnected()
    {
        lock (_lock)
        {
            var changed = !Connected;
            Connected = true;
            LastContact = time.GetUtcNow();
            DisconnectedSince = null;
            LastError = null;
            return changed;
        }
    }

    /// <summary>True on the first failure after a success (or ever).</summary>
    public bool MarkDisconnected(Exception error)
    {
        lock (_lock)
        {
            var changed = Connected || DisconnectedSince is null;
            Connected = false;
            DisconnectedSince ??= time.GetUtcNow();
            LastError = $"{error.GetType().Name}: {error.Message}";
            return changed;
        }
    }
}
