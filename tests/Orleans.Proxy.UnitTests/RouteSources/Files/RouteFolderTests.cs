using Orleans.Proxy.Silo.RouteSources.Files;
using Orleans.Proxy.Testing;

namespace Orleans.Proxy.UnitTests.RouteSources.Files;

/// <summary>A reading reads again only named files and files whose stamp changed; the full reading is the safety net.</summary>
public sealed class RouteFolderTests : IDisposable
{
    private static readonly HashSet<string> NothingNamed = new(StringComparer.Ordinal);
    private readonly string _root = Directory.CreateTempSubdirectory("orleans-proxy-routefolder-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Read_FileChangedWithoutEvent_ReadAgainAndOtherFilesKeepObjectsAndRejections()
    {
        var routes = Folder("routes");
        var a = Write(routes, "a.yaml", Manifests.Ingress("a", "a.test", ("/", "Prefix", "web")));
        Write(routes, "b.yaml", Manifests.Ingress("b", "b.test", ("/", "Prefix", "web")));
        var folder = new RouteFolder(routes);
        folder.Read(named: null);
        Write(routes, "b.yaml", "kind: [");
        Assert.Contains(folder.Read(NothingNamed).Rejections, r => r.Object == "b.yaml");

        File.WriteAllText(a, Manifests.Ingress("a", "a-moved.test", ("/", "Prefix", "web")));
        var reading = folder.Read(NothingNamed);

        Assert.Equal(["a-moved.test", "b.test"], Hosts(reading));
        Assert.Contains(reading.Rejections, r => r.Object == "b.yaml" && r.Reason.Contains("last good content", StringComparison.Ordinal));
    }

    [Fact]
    public void Read_RewrittenWithSameLengthAndTime_NamedOrFullReadingPicksItUp()
    {
        var routes = Folder("routes");
        var a = Write(routes, "a.yaml", Manifests.Ingress("a", "a1.test", ("/", "Prefix", "web")));
        var folder = new RouteFolder(routes);
        folder.Read(named: null);

        // The same length within the same tick of the file system's clock: the stamp cannot tell.
        RewriteKeepingStamp(a, Manifests.Ingress("a", "a2.test", ("/", "Prefix", "web")));
        Assert.Equal(["a2.test"], Hosts(folder.Read(new HashSet<string>([a], StringComparer.Ordinal))));

        RewriteKeepingStamp(a, Manifests.Ingress("a", "a3.test", ("/", "Prefix", "web")));
        Assert.Equal(["a3.test"], Hosts(folder.Read(named: null)));
    }

    [Fact]
    public void Read_LinkedFolderSwappedToSameLengthAndTime_PicksUpNewTarget()
    {
        // A ConfigMap mount: the file links through a folder link that an update points at a new folder.
        var v1 = Folder("v1");
        var v2 = Folder("v2");
        var v1File = Write(v1, "hosts.yaml", Manifests.Ingress("a", "a1.test", ("/", "Prefix", "web")));
        var v2File = Write(v2, "hosts.yaml", Manifests.Ingress("a", "a2.test", ("/", "Prefix", "web")));
        File.SetLastWriteTimeUtc(v2File, File.GetLastWriteTimeUtc(v1File));
        var data = Path.Combine(_root, "data");
        Directory.CreateSymbolicLink(data, v1);
        var routes = Folder("routes");
        File.CreateSymbolicLink(Path.Combine(routes, "hosts.yaml"), Path.Combine(data, "hosts.yaml"));
        var folder = new RouteFolder(routes);
        Assert.Equal(["a1.test"], Hosts(folder.Read(named: null)));

        Directory.Delete(data);
        Directory.CreateSymbolicLink(data, v2);

        Assert.Equal(["a2.test"], Hosts(folder.Read(NothingNamed)));
    }

    [Fact]
    public void Read_FileEmptiedByAnInPlaceRewrite_KeepsItsObjectsUntilWritten()
    {
        var routes = Folder("routes");
        var a = Write(routes, "a.yaml", Manifests.Ingress("a", "a1.test", ("/", "Prefix", "web")));
        var folder = new RouteFolder(routes);
        folder.Read(named: null);
        var named = new HashSet<string>([a], StringComparer.Ordinal);

        // Truncated, not written yet: what a reading sees between the two steps of File.WriteAllText or an editor's save.
        File.WriteAllBytes(a, []);
        var emptied = folder.Read(named);

        Assert.Equal(["a1.test"], Hosts(emptied));
        Assert.Contains(emptied.Rejections, r => r.Object == "a.yaml" && r.Reason.Contains("is empty", StringComparison.Ordinal));
        File.WriteAllText(a, Manifests.Ingress("a", "a2.test", ("/", "Prefix", "web")));
        var written = folder.Read(NothingNamed);
        Assert.Equal(["a2.test"], Hosts(written));
        Assert.Empty(written.Rejections);
    }

    [Fact]
    public void Read_FileEmptyFromTheStart_HasNoObjectsAndNoRejection()
    {
        var routes = Folder("routes");
        Write(routes, "a.yaml", "");

        var reading = new RouteFolder(routes).Read(named: null);

        Assert.Empty(Hosts(reading));
        Assert.Empty(reading.Rejections);
    }

    [Fact]
    public void Read_FileDeleted_ItsObjectsGo()
    {
        var routes = Folder("routes");
        Write(routes, "a.yaml", Manifests.Ingress("a", "a.test", ("/", "Prefix", "web")));
        var b = Write(routes, "b.yaml", Manifests.Ingress("b", "b.test", ("/", "Prefix", "web")));
        var folder = new RouteFolder(routes);
        folder.Read(named: null);

        File.Delete(b);

        Assert.Equal(["a.test"], Hosts(folder.Read(NothingNamed)));
    }

    private string Folder(string name) => Directory.CreateDirectory(Path.Combine(_root, name)).FullName;

    private static string Write(string folder, string name, string content)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static void RewriteKeepingStamp(string path, string content)
    {
        var written = File.GetLastWriteTimeUtc(path);
        Assert.Equal(new FileInfo(path).Length, content.Length);
        File.WriteAllText(path, content);
        File.SetLastWriteTimeUtc(path, written);
    }

    private static List<string?> Hosts(RouteFolder.Reading reading) =>
        [.. reading.Objects.Ingresses.Select(i => i.Spec.Rules[0].Host).Order(StringComparer.Ordinal)];
}
