using System.ComponentModel.DataAnnotations;

namespace Orleans.Proxy.Edge.Hosting;

/// <summary>Section "Edge".</summary>
public sealed class EdgeOptions
{
    public const string Section = "Edge";

    /// <summary>Address of the public (proxy) listener.</summary>
    [Required]
    public string Address { get; set; } = "0.0.0.0";

    /// <summary>Port of the public listener; 0 picks a free one.</summary>
    [Range(0, 65535)]
    public int Port { get; set; } = 8080;

    /// <summary>Port of the HTTPS listener (certificates from the Ingresses' spec.tls Secrets); 0: no HTTPS listener.</summary>
    [Range(0, 65535)]
    public int HttpsPort { get; set; }

    /// <summary>Name of this edge in diagnostics; defaults to host name and process id.</summary>
    public string? Id { get; set; }

    /// <summary>Fallback poll of the catalog, and renewal of the change subscription.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// On SIGTERM, how long the edge keeps serving (new connections too) with /health/ready at 503,
    /// so load balancers deregister it first; about a load balancer's deregistration delay.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan DrainPeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>After the drain period, how long requests in flight get to finish before the edge exits anyway.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Kestrel runs request continuations on the socket's I/O thread instead of queueing them to the
    /// thread pool (SocketTransportOptions.UnsafePreferInlineScheduling). Nothing on the edge's request
    /// path blocks a thread, so it is safe, and it saves a thread-pool hop per read; but off by default:
    /// every connection on an I/O thread then waits for whatever that thread runs, which doubled the p99.
    /// </summary>
    public bool InlineScheduling { get; set; }

    /// <summary>
    /// How long a client may take to send a request's headers before Kestrel closes the connection (slow-header
    /// attacks hold a connection open this long at most). Kestrel checks it about once a second.
    /// </summary>
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a connection may stay open with no request under way (before its first request, and between requests)
    /// before Kestrel closes it; idle connections hold memory and a file descriptor each until then.
    /// </summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(130);

    /// <summary>
    /// The slowest a client may send a request body, in bytes per second averaged since the body started (slow-body
    /// attacks); below it, after <see cref="MinRequestBodyGracePeriod"/>, Kestrel answers 408 (or closes the connection)
    /// and the request is aborted at the backend too. 0 turns the check off.
    /// </summary>
    public double MinRequestBodyBytesPerSecond { get; set; } = 240;

    /// <summary>How long a request body may run below <see cref="MinRequestBodyBytesPerSecond"/> before the check applies.</summary>
    public TimeSpan MinRequestBodyGracePeriod { get; set; } = TimeSpan.FromSeconds(5);
}
