using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Orleans.Proxy.IntegrationTests.Images;

/// <summary>
/// A Dockerfile's build stage replayed without a Docker engine: the build context is the repository
/// less what .dockerignore excludes; COPY copies from it into a folder standing for the image's
/// file system; RUN runs its dotnet command as written, in the WORKDIR, with absolute paths moved
/// under that folder. Anything else in the build stage is refused, so the replay cannot drift
/// silently from what <c>docker build</c> would do.
/// </summary>
internal sealed class DockerfileReplay
{
    private readonly string _context;
    private readonly string _root;
    private readonly IgnoreRules _ignore;

    private DockerfileReplay(string context, string root)
    {
        _context = context;
        _root = root;
        var ignoreFile = Path.Combine(context, ".dockerignore");
        _ignore = new IgnoreRules(File.Exists(ignoreFile) ? File.ReadAllLines(ignoreFile) : []);
    }

    /// <summary>The runtime stage's ENTRYPOINT (exec form), e.g. ["dotnet", "Orleans.Proxy.Edge.dll"].</summary>
    public IReadOnlyList<string> Entrypoint { get; private set; } = [];

    /// <summary>The runtime stage's WORKDIR (where the build's output is copied), under the replay's root.</summary>
    public string RuntimeDirectory { get; private set; } = "";

    public IReadOnlyList<int> ExposedPorts { get; private set; } = [];

    /// <summary>Commands run, as written in the Dockerfile, each with its duration.</summary>
    public List<string> Log { get; } = [];

    /// <summary>Maps an absolute path of the image (e.g. /app) to the replay's folder.</summary>
    public string Map(string imagePath) => Path.Combine(_root, imagePath.TrimStart('/'));

    public static async Task<DockerfileReplay> RunAsync(string context, string dockerfile, string root, TimeSpan commandTimeout)
    {
        var replay = new DockerfileReplay(context, root);
        await replay.RunAsync(File.ReadAllLines(Path.Combine(context, dockerfile)), commandTimeout);
        return replay;
    }

    private async Task RunAsync(string[] lines, TimeSpan commandTimeout)
    {
        var instructions = Instructions(lines).ToList();
        var stages = instructions.Count(i => i.Keyword == "FROM");
        Assert.True(stages == 2, $"expected a build stage and a runtime stage, found {stages} FROM");
        var stage = 0;
        var workdir = "/";
        foreach (var (keyword, arguments) in instructions)
        {
            if (keyword == "FROM")
            {
                stage++;
                workdir = "/";
                continue;
            }

            if (stage == 1)
            {
                switch (keyword)
                {
                    case "WORKDIR":
                        workdir = Absolute(workdir, arguments);
                        Directory.CreateDirectory(Map(workdir));
                        break;
                    case "COPY":
                        Copy(workdir, arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries));
                        break;
                    case "RUN":
                        await RunCommandAsync(workdir, arguments, commandTimeout);
                        break;
                    default:
                        throw new NotSupportedException($"the build stage's {keyword} is not replayed: teach DockerfileReplay what docker build does with it");
                }
            }
            else
            {
                switch (keyword)
                {
                    case "WORKDIR":
                        workdir = Absolute(workdir, arguments);
                        RuntimeDirectory = Map(workdir);
                        break;
                    case "COPY":
                        Assert.Matches(@"^--from=build /app \.$", arguments);
                        break;
                    case "EXPOSE":
                        ExposedPorts = [.. arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse)];
                        break;
                    case "ENTRYPOINT":
                        Entrypoint = JsonSerializer.Deserialize<string[]>(arguments) ?? [];
                        break;
                    case "USER":
                        break;
                    default:
                        throw new NotSupportedException($"the runtime stage's {keyword} is not checked: teach DockerfileReplay about it");
                }
            }
        }

        Assert.Equal(Map("/app"), RuntimeDirectory);
        Assert.Equal("dotnet", Entrypoint[0]);
    }

    /// <summary>COPY src... dest, from the build context (after .dockerignore): a folder's contents, or files.</summary>
    private void Copy(string workdir, string[] arguments)
    {
        Assert.DoesNotContain(arguments, a => a.StartsWith("--", StringComparison.Ordinal));
        var sources = arguments[..^1];
        var destination = Map(Absolute(workdir, arguments[^1]));
        foreach (var source in sources)
        {
            var relative = source.Trim('/');
            var path = Path.Combine(_context, relative);
            if (Directory.Exists(path))
            {
                foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories))
                {
                    var inContext = Path.GetRelativePath(_context, file).Replace('\\', '/');
                    if (!_ignore.Excludes(inContext))
                    {
                        CopyFile(file, Path.Combine(destination, Path.GetRelativePath(path, file)));
                    }
                }
            }
            else
            {
                Assert.True(File.Exists(path) && !_ignore.Excludes(relative), $"COPY {source}: not in the build context");
                var target = arguments[^1].EndsWith('/') || sources.Length > 1 ? Path.Combine(destination, Path.GetFileName(path)) : destination;
                CopyFile(path, target);
            }
        }
    }

    private static void CopyFile(string from, string to)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        File.Copy(from, to, overwrite: true);
    }

    /// <summary>RUN dotnet …, as written; absolute paths in its arguments (-o /app) are moved under the replay's root.</summary>
    private async Task RunCommandAsync(string workdir, string command, TimeSpan timeout)
    {
        var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(words[0] == "dotnet", $"RUN {command}: only dotnet commands are replayed");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = Map(workdir),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var word in words[1..])
        {
            start.ArgumentList.Add(word.StartsWith('/') ? Map(word) : word);
        }

        // The SDK image's settings; nothing from the test's own build leaks in.
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment.Remove("MSBuildExtensionsPath");
        start.Environment.Remove("MSBuildSDKsPath");
        start.Environment.Remove("MSBUILD_EXE_PATH");
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"RUN {command} did not finish in {timeout}");
        }

        output.Append(await stdout).Append(await stderr);
        Assert.True(process.ExitCode == 0, $"RUN {command} failed ({process.ExitCode}):\n{output}");
        Log.Add($"RUN {command}  ({watch.Elapsed.TotalSeconds:F0} s)");
    }

    private static string Absolute(string workdir, string path) => path.StartsWith('/') ? path : $"{workdir.TrimEnd('/')}/{path}";

    /// <summary>Instructions with their arguments; comments and blank lines skipped, continuation lines joined.</summary>
    private static IEnumerable<(string Keyword, string Arguments)> Instructions(string[] lines)
    {
        var current = new StringBuilder();
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (current.Length == 0 && (line.Length == 0 || line.StartsWith('#')))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                current.Append(line[..^1]).Append(' ');
                continue;
            }

            current.Append(line);
            var text = current.ToString();
            current.Clear();
            var space = text.IndexOf(' ', StringComparison.Ordinal);
            yield return (text[..space].ToUpperInvariant(), text[(space + 1)..].Trim());
        }
    }

    /// <summary>.dockerignore: patterns matched against paths in the context (with ** for any folders); the last matching rule wins, "!" re-includes.</summary>
    internal sealed class IgnoreRules(IEnumerable<string> lines)
    {
        private readonly List<(Regex Pattern, bool Exclude)> _rules = [.. lines
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.StartsWith('!') ? (Pattern: l[1..], Exclude: false) : (Pattern: l, Exclude: true))
            .Select(r => (ToRegex(r.Pattern.Trim('/')), r.Exclude))];

        /// <summary>True when the path, or a folder above it, is excluded.</summary>
        public bool Excludes(string path)
        {
            var excluded = false;
            foreach (var (pattern, exclude) in _rules)
            {
                var segments = path.Split('/');
                for (var n = 1; n <= segments.Length; n++)
                {
                    if (pattern.IsMatch(string.Join('/', segments[..n])))
                    {
                        excluded = exclude;
                        break;
                    }
                }
            }

            return excluded;
        }

        private static Regex ToRegex(string pattern)
        {
            var regex = new StringBuilder("^");
            for (var i = 0; i < pattern.Length; i++)
            {
                if (pattern[i] == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
                {
                    // "**/" matches any number of folders, none included.
                    var slash = i + 2 < pattern.Length && pattern[i + 2] == '/';
                    regex.Append(slash ? "(?:.*/)?" : ".*");
                    i += slash ? 2 : 1;
                }
                else
                {
                    regex.Append(pattern[i] switch
                    {
                        '*' => "[^/]*",
                        '?' => "[^/]",
                        var c => Regex.Escape(c.ToString()),
                    });
                }
            }

            return new Regex(regex.Append('$').ToString(), RegexOptions.CultureInvariant);
        }
    }
}
