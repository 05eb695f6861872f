using System.Text.RegularExpressions;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Docs;

/// <summary>
/// A C# snippet, split the way the checks compare it: the using directives it starts with, and the
/// code after them, its indentation removed.
/// </summary>
internal sealed record CSharpCode(IReadOnlyList<string> Usings, string Body)
{
    public static CSharpCode Parse(IReadOnlyList<string> lines)
    {
        var usings = lines.TakeWhile(l => CompiledSnippets.IsUsingDirective(l.Trim())).Select(l => l.Trim()).ToList();
        var body = lines.Skip(usings.Count).SkipWhile(string.IsNullOrWhiteSpace).ToList();
        return new CSharpCode(usings, CompiledSnippets.Dedent(body));
    }
}

/// <summary>
/// A region of Hub.Tests/Docs/Snippets, compiled with the tests. <c>#region program</c> holds a
/// whole program's statements, whose using directives are the file's own; <c>#region fragment</c>
/// holds code the docs show without its usings.
/// </summary>
internal sealed record CompiledSnippet(string File, int Line, bool IsProgram, CSharpCode Code)
{
    public string Where => $"{File}:{Line}";

    /// <summary>Whether a C# block of the docs is this snippet, to the letter.</summary>
    public bool Matches(CSharpCode documented) =>
        Code.Body == documented.Body && (IsProgram ? Code.Usings.SequenceEqual(documented.Usings) : documented.Usings.Count == 0);
}

internal static partial class CompiledSnippets
{
    public static string Folder => Path.Combine(RepoPaths.Root, "Hub.Tests", "Docs", "Snippets");

    public static IReadOnlyList<CompiledSnippet> All() =>
        [.. Directory.EnumerateFiles(Folder, "*.cs").Order(StringComparer.Ordinal).SelectMany(Read)];

    public static bool IsUsingDirective(string line) => UsingDirective().IsMatch(line);

    /// <summary>The lines joined, without the indentation they all share and without trailing blanks.</summary>
    public static string Dedent(IReadOnlyList<string> lines)
    {
        var indent = lines.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart(' ').Length).DefaultIfEmpty(0).Min();
        var dedented = lines.Select(l => l.Length >= indent ? l[indent..].TrimEnd() : l.Trim()).ToList();
        while (dedented.Count > 0 && dedented[^1].Length == 0)
        {
            dedented.RemoveAt(dedented.Count - 1);
        }

        return string.Join('\n', dedented);
    }

    private static IEnumerable<CompiledSnippet> Read(string path)
    {
        var file = Path.GetRelativePath(RepoPaths.Root, path).Replace('\\', '/');
        var lines = File.ReadAllLines(path);
        var usings = lines.Select(l => l.Trim()).Where(IsUsingDirective).ToList();
        for (var i = 0; i < lines.Length; i++)
        {
            var region = Region().Match(lines[i]);
            if (!region.Success)
            {
                continue;
            }

            var start = i;
            var body = new List<string>();
            for (i++; i < lines.Length && lines[i].Trim() != "#endregion"; i++)
            {
                body.Add(lines[i]);
            }

            var isProgram = region.Groups[1].Value == "program";
            yield return new CompiledSnippet(file, start + 1, isProgram, new CSharpCode(isProgram ? usings : [], Dedent(body)));
        }
    }

    // A using directive, not a using statement ("using var x = …" or "using (…)").
    [GeneratedRegex(@"^using (static )?[A-Za-z_][\w.]*;$")]
    private static partial Regex UsingDirective();

    [GeneratedRegex(@"^\s*#region (program|fragment)\s*$")]
    private static partial Regex Region();
}
