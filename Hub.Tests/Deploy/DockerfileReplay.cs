using System.Text.Json;
using System.Text.RegularExpressions;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Deploy;

/// <summary>
/// A Dockerfile carried out without Docker, as far as this machine can: each stage gets a scratch
/// folder that stands for its filesystem; COPY takes from the build context as Docker sends it
/// (the working tree less .dockerignore) or from an earlier stage; WORKDIR and ENV apply as in
/// Docker; and the <c>dotnet</c> commands of RUN lines run as written, with their absolute paths
/// under the stage's folder. Not replayed: the base images, the RUN lines that install packages
/// into them (this machine has the SDK, Node and npm of its own) and USER. Anything else a
/// Dockerfile could say, and this does not model, fails the replay by name instead of being skipped.
/// </summary>
internal sealed partial class DockerfileReplay
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(4);

    private readonly string _context;
    private readonly string _scratch;
    private readonly (bool Anywhere, string Name)[] _ignored;
    private readonly Dictionary<string, string> _stages = new(StringComparer.OrdinalIgnoreCase);
    private string _stageRoot = "";
    private string _workdir = "/";

    private DockerfileReplay(string context, string scratch)
    {
        _context = context;
        _scratch = scratch;
        var ignoreFile = Path.Combine(context, ".dockerignore");
        _ignored = File.Exists(ignoreFile)
            ? File.ReadAllLines(ignoreFile).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).Select(IgnorePattern).ToArray()
            : [];
    }

    /// <summary>The last stage's environment (ENV), what the image starts with.</summary>
    public Dictionary<string, string> Environment { get; } = [];

    /// <summary>The last stage's WORKDIR, as a folder here.</summary>
    public string WorkingDirectory => Local(_workdir);

    public IReadOnlyList<string> Entrypoint { get; private set; } = [];

    /// <summary>HEALTHCHECK's command, its program found under the stage's folder as the image's PATH would.</summary>
    public IReadOnlyList<string> HealthCheck { get; private set; } = [];

    /// <summary>The RUN lines left out, for the reader of a failure.</summary>
    public List<string> Skipped { get; } = [];

    public static async Task<DockerfileReplay> RunAsync(string dockerfile, string context, string scratch)
    {
        var replay = new DockerfileReplay(context, scratch);
        foreach (var (instruction, arguments) in Instructions(File.ReadAllText(dockerfile)))
        {
            await replay.ApplyAsync(instruction, arguments);
        }

        return replay;
    }

    private async Task ApplyAsync(string instruction, string arguments)
    {
        switch (instruction)
        {
            case "FROM":
                var from = arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                _stageRoot = Directory.CreateDirectory(Path.Combine(_scratch, $"stage{_stages.Count}")).FullName;
                _stages[from.Length == 3 && from[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? from[2] : $"{_stages.Count}"] = _stageRoot;
                _workdir = "/";
                Environment.Clear();
                break;
            case "WORKDIR":
                _workdir = Path.GetFullPath(arguments, _workdir);
                Directory.CreateDirectory(Local(_workdir));
                break;
            case "COPY":
                Copy(arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries));
                break;
            case "RUN" when arguments.StartsWith("dotnet ", StringComparison.Ordinal):
                var command = AbsolutePath().Replace(arguments, m => m.Groups[1].Value + Local(m.Groups[2].Value));
                await ChildProcess.RunToSuccessAsync("bash", ["-c", command], RunTimeout, Local(_workdir));
                break;
            case "RUN":
                Skipped.Add(arguments);
                break;
            case "ENV":
                var pairs = EnvPair().Matches(arguments);
                Assert.That(pairs, Is.Not.Empty, $"ENV {arguments}: only the KEY=VALUE form is replayed.");
                foreach (Match pair in pairs)
                {
                    Environment[pair.Groups[1].Value] = pair.Groups[2].Value;
                }

                break;
            case "ENTRYPOINT":
                Entrypoint = JsonSerializer.Deserialize<string[]>(arguments)!;
                break;
            case "HEALTHCHECK":
                var check = JsonSerializer.Deserialize<string[]>(arguments[(arguments.IndexOf("CMD [", StringComparison.Ordinal) + 4)..])!;
                HealthCheck = [Path.Combine(Local("/usr/local/bin"), check[0]), .. check[1..]];
                break;
            case "EXPOSE" or "USER":
                break;
            default:
                Assert.Fail($"{instruction} {arguments}: the replay does not model this instruction.");
                break;
        }
    }

    // COPY [--from=stage] <source>... <destination>, as Docker reads it: several sources, or a
    // destination ending in '/', make it a folder; a source folder gives its contents.
    private void Copy(string[] words)
    {
        var fromStage = words[0].StartsWith("--from=", StringComparison.Ordinal) ? _stages[words[0]["--from=".Length..]] : null;
        var paths = fromStage is null ? words : words[1..];
        Assert.That(paths.All(p => !p.StartsWith("--") && !p.Contains('*')), $"COPY {string.Join(' ', words)}: only plain paths and --from are replayed.");
        var sources = paths[..^1];
        var destination = Local(Path.GetFullPath(paths[^1], _workdir));
        var intoFolder = sources.Length > 1 || paths[^1].EndsWith('/') || paths[^1] is "." or "./";
        foreach (var source in sources)
        {
            var from = fromStage is null ? Path.Combine(_context, source) : Path.Combine(fromStage, source.TrimStart('/'));
            if (Directory.Exists(from))
            {
                foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories).Where(f => fromStage is not null || !IsIgnored(f)))
                {
                    CopyFile(file, Path.Combine(destination, Path.GetRelativePath(from, file)));
                }
            }
            else
            {
                Assert.That(File.Exists(from) && (fromStage is not null || !IsIgnored(from)), $"COPY {source}: not in the build context (or left out by .dockerignore).");
                CopyFile(from, intoFolder ? Path.Combine(destination, Path.GetFileName(from)) : destination);
            }
        }
    }

    private static void CopyFile(string from, string to)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        File.Copy(from, to, overwrite: true);
    }

    // .dockerignore as this repository writes it: "**/name/" anywhere, "path/" from the root.
    private static (bool Anywhere, string Name) IgnorePattern(string pattern)
    {
        var trimmed = pattern.TrimEnd('/');
        var anywhere = trimmed.StartsWith("**/", StringComparison.Ordinal);
        var name = anywhere ? trimmed[3..] : trimmed;
        Assert.That(name.Contains('*') || name.StartsWith('!'), Is.False, $".dockerignore: '{pattern}' is beyond what the replay models.");
        return (anywhere, name);
    }

    private bool IsIgnored(string file)
    {
        var relative = "/" + Path.GetRelativePath(_context, file).Replace('\\', '/');
        return _ignored.Any(p => p.Anywhere
            ? relative.Contains("/" + p.Name + "/", StringComparison.Ordinal)
            : relative.StartsWith("/" + p.Name + "/", StringComparison.Ordinal) || relative == "/" + p.Name);
    }

    private string Local(string imagePath) => Path.Combine(_stageRoot, imagePath.TrimStart('/'));

    // Instructions with their continuation lines joined, comments left out.
    private static IEnumerable<(string Instruction, string Arguments)> Instructions(string dockerfile)
    {
        var current = "";
        foreach (var raw in dockerfile.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith('#') || (line.Length == 0 && current.Length == 0))
            {
                continue;
            }

            current += " " + line.TrimEnd('\\').Trim();
            if (!line.EndsWith('\\'))
            {
                var text = current.Trim();
                current = "";
                var space = text.IndexOf(' ');
                yield return (text[..space].ToUpperInvariant(), text[(space + 1)..].Trim());
            }
        }
    }

    // An absolute path as a word of a command: " /app" in "-o /app".
    [GeneratedRegex(@"(\s)(/[^\s]*)")]
    private static partial Regex AbsolutePath();

    [GeneratedRegex(@"(\w+)=(\S*)")]
    private static partial Regex EnvPair();
}
