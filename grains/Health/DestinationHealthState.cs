namespace Orleans.Proxy.Health;

/// <summary>What the backend grain tracks for one destination: probe streak, recent probes, passive window, ejection.</summary>
internal sealed class DestinationHealthState(string id, string address)
{
    private readonly Queue<(DateTimeOffset At, int Requests, int Failures)> _window = new();
    private readonly Queue<ProbeResult> _recent = new();
    private int _successes;
    private int _failures;

    public string Id { get; } = id;

    public string Address { get; set; } = address;

    public ProbeState Active { get; private set; }

    public DateTimeOffset? EjectedUntil { get; private set; }

    public IEnumerable<ProbeResult> Recent => _recent;

    public bool IsUnavailable(DateTimeOffset now) => Active == ProbeState.Unhealthy || EjectedUntil > now;

    /// <summary>Records a probe; returns the new state when the thresholds changed it.</summary>
    public ProbeState? AddProbe(ProbeResult result, HealthCheckSpec spec, int keep)
    {
        _recent.Enqueue(result);
        while (_recent.Count > keep)
        {
            _recent.Dequeue();
        }

        (_successes, _failures) = result.Success ? (_successes + 1, 0) : (0, _failures + 1);
        var next = Active;
        if (result.Success && Active != ProbeState.Healthy && _successes >= spec.HealthyThreshold)
        {
            next = ProbeState.Healthy;
        }
        else if (!result.Success && Active != ProbeState.Unhealthy && _failures >= spec.UnhealthyThreshold)
        {
            next = ProbeState.Unhealthy;
        }

        if (next == Active)
        {
            return null;
        }

        Active = next;
        return next;
    }

    /// <summary>Adds one edge's counts; returns true when this ejects the destination.</summary>
    public bool AddPassive(DateTimeOffset now, PassiveCount count, PassiveHealthSpec spec)
    {
        if (EjectedUntil > now)
        {
            // Ejected: what still trickles in (requests already under way) says nothing new.
            return false;
        }

        _window.Enqueue((now, count.Requests, count.Failures));
        var (requests, failures) = WindowTotals(now, spec.Window);
        if (requests < spec.MinRequests || failures < spec.FailureRate * requests)
        {
            return false;
        }

        EjectedUntil = now + spec.ReactivationPeriod;
        _window.Clear();
        return true;
    }

    public (int Requests, int Failures) WindowTotals(DateTimeOffset now, TimeSpan window)
    {
        while (_window.Count > 0 && _window.Peek().At < now - window)
        {
            _window.Dequeue();
        }

        return (_window.Sum(w => w.Requests), _window.Sum(w => w.Failures));
    }

    public void ResetActive()
    {
        Active = ProbeState.Unknown;
        (_successes, _failures) = (0, 0);
        _recent.Clear();
    }

    public void ResetPassive()
    {
        EjectedUntil = null;
        _window.Clear();
    }
}
