using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orleans.Proxy.Hosting.Kubernetes;

/// <summary>
/// The whole membership table as one JSON document in one ConfigMap key, so that one write (a
/// compare-and-swap on the object's resourceVersion) changes rows and table version together.
/// </summary>
public sealed record MembershipDocument(int Version, string Etag, List<MemberRow> Members)
{
    public const string DataKey = "membership.json";

    /// <summary>The table etag of a cluster whose object does not exist yet.</summary>
    public const string NoTableEtag = "none";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static MembershipDocument Empty { get; } = new(0, NoTableEtag, []);

    public static MembershipDocument Parse(string json) =>
        JsonSerializer.Deserialize<MembershipDocument>(json, Json) ?? throw new JsonException("the membership document is null");

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public MemberRow? Find(SiloAddress silo)
    {
        var address = silo.ToParsableString();
        return Members.Find(m => m.Address == address);
    }

    /// <summary>A new table version with a new etag: what every successful insert or update writes.</summary>
    public MembershipDocument Next(int version, List<MemberRow> members) => new(version, NewEtag(), members);

    public static string NewEtag() => Guid.NewGuid().ToString("N")[..16];
}

/// <summary>One silo's row. Its etag changes on every update of the row and never on a heartbeat (heartbeats live in Leases).</summary>
public sealed record MemberRow(
    string Address,
    string Etag,
    SiloStatus Status,
    int ProxyPort,
    string? HostName,
    string? SiloName,
    string? RoleName,
    int UpdateZone,
    int FaultZone,
    DateTime StartTime,
    DateTime IAmAliveTime,
    List<SuspectVote> Suspects)
{
    public static MemberRow From(MembershipEntry entry, string etag) => new(
        entry.SiloAddress.ToParsableString(),
        etag,
        entry.Status,
        entry.ProxyPort,
        entry.HostName,
        entry.SiloName,
        entry.RoleName,
        entry.UpdateZone,
        entry.FaultZone,
        entry.StartTime,
        entry.IAmAliveTime,
        [.. (entry.SuspectTimes ?? []).Select(s => new SuspectVote(s.Item1.ToParsableString(), s.Item2))]);

    public SiloAddress SiloAddress => SiloAddress.FromParsableString(Address);

    /// <summary>The Orleans entry, with the later of the row's and the heartbeat Lease's IAmAlive time.</summary>
    public MembershipEntry ToEntry(DateTime? heartbeat) => new()
    {
        SiloAddress = SiloAddress,
        Status = Status,
        ProxyPort = ProxyPort,
        HostName = HostName ?? "",
        SiloName = SiloName ?? "",
        RoleName = RoleName,
        UpdateZone = UpdateZone,
        FaultZone = FaultZone,
        StartTime = StartTime,
        IAmAliveTime = heartbeat is { } h && h > IAmAliveTime ? h : IAmAliveTime,
        SuspectTimes = [.. Suspects.Select(s => Tuple.Create(SiloAddress.FromParsableString(s.Address), s.Time))],
    };

    /// <summary>
    /// When the row was last known to change: its start, its last heartbeat or the latest suspicion vote
    /// (a death declaration is a vote), as Orleans computes it to keep recently declared dead silos.
    /// </summary>
    public DateTime LastUpdate(DateTime? heartbeat) =>
        new[] { StartTime, IAmAliveTime, heartbeat ?? DateTime.MinValue }.Concat(Suspects.Select(s => s.Time)).Max();

    /// <summary>The gateway URI clients connect to: the silo's IP with its proxy (gateway) port.</summary>
    public Uri GatewayUri()
    {
        var silo = SiloAddress;
        return SiloAddress.New(new IPEndPoint(silo.Endpoint.Address, ProxyPort), silo.Generation).ToGatewayUri();
    }
}

public sealed record SuspectVote(string Address, DateTime Time);
