using System.Collections.Concurrent;
using System.Net;

namespace Orleans.Proxy.Edge.IngressNginx;

/// <summary>
/// limit-connections on this edge: requests in progress per (zone, client address). An entry lives
/// while its count is above zero, so the table holds at most the requests in flight.
/// </summary>
internal sealed class ConnectionLimiter
{
    private readonly ConcurrentDictionary<(string Zone, IPAddress Client), int> _inProgress = new();

    /// <summary>Clients with requests in progress, over every zone.</summary>
    public int Count => _inProgress.Count;

    /// <summary>Counts one more request unless the client already has <paramref name="limit"/> in progress; then false.</summary>
    public bool TryEnter(string zone, IPAddress client, int limit)
    {
        var key = (zone, client);
        while (true)
        {
            if (_inProgress.TryGetValue(key, out var count))
            {
                if (count >= limit)
                {
                    return false;
                }

                if (_inProgress.TryUpdate(key, count + 1, count))
                {
                    return true;
                }
            }
            else if (_inProgress.TryAdd(key, 1))
            {
                return true;
            }
        }
    }

    /// <summary>Counts one request less; the entry goes when none is left.</summary>
    public void Exit(string zone, IPAddress client)
    {
        var key = (zone, client);
        while (true)
        {
            var count = _inProgress[key];
            if (count == 1 ? _inProgress.TryRemove(new KeyValuePair<(string, IPAddress), int>(key, 1)) : _inProgress.TryUpdate(key, count - 1, count))
            {
                return;
            }
        }
    }
}
