using System.Text.RegularExpressions;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Docs;

/// <summary>A fenced code block of the docs: where it starts, its language, and its text without the fences.</summary>
internal sealed record CodeBlock(string File, int Line, string Language, string Text)
{
    public string Where => $"{File}:{Line}";

    public IReadOnlyList<string> Lines => Text.Split('\n');
}

/// <summary>A link of the docs: where it stands and what it points to.</summary>
internal sealed record DocLink(string File, int Line, string Target);

/// <summary>
/// The project's Markdown as readers get it: both READMEs, BENCHMARKS.md and every page under
/// docs/, with their fenced code blocks, their links and their headings' anchors.
/// </summary>
internal static partial class MarkdownDocs
{
    private static readonly Lazy<IReadOnlyList<string>> AllFiles = new(FindFiles);

    /// <summary>Every Markdown file a reader is sent to, relative to the repository root, with '/'.</summary>
    public static IReadOnlyList<string> Files => AllFiles.Value;

    public static IEnumerable<CodeBlock> Blocks => Files.SelectMany(BlocksOf);

    public static IEnumerable<DocLink> Links => Files.SelectMany(LinksOf);

    /// <summary>One test case per distinct snippet of the language, named after every place that shows it.</summary>
    public static IEnumerable<TestCaseData> CasesOf(string language) =>
        Blocks.Where(b => b.Language == language)
            .GroupBy(b => b.Text)
            .Select(g => new TestCaseData(g.Key).SetArgDisplayNames(string.Join(", ", g.Select(b => b.Where))));

    public static string FullPath(string file) => Path.Combine(RepoPaths.Root, file);

    /// <summary>The anchors GitHub gives the file's headings: lower case, punctuation dropped, spaces as '-', repeats numbered.</summary>
    public static ISet<string> Anchors(string file)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (line, _) in ProseLines(file))
        {
            var heading = Heading().Match(line);
            if (!heading.Success)
            {
                continue;
            }

            var slug = Slug(heading.Groups[1].Value);
            var unique = slug;
            for (var n = 1; !anchors.Add(unique); n++)
            {
                unique = $"{slug}-{n}";
            }
        }

        return anchors;
    }

    private static string Slug(string heading)
    {
        var text = heading.Trim().ToLowerInvariant();
        var kept = text.Where(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_');
        return string.Concat(kept).Replace(' ', '-');
    }

    private static IReadOnlyList<string> FindFiles()
    {
        var docs = Path.Combine(RepoPaths.Root, "docs");
        var pages = Directory.EnumerateFiles(docs, "*.md", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(RepoPaths.Root, path).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);
        return ["README.md", "BENCHMARKS.md", "Hub.Client/README.md", .. pages];
    }

    private static IEnumerable<CodeBlock> BlocksOf(string file)
    {
        var lines = File.ReadAllLines(FullPath(file));
        for (var i = 0; i < lines.Length; i++)
        {
            var open = Fence().Match(lines[i]);
            if (!open.Success)
            {
                continue;
            }

            var indent = open.Groups["indent"].Length;
            var fence = open.Groups["fence"].Value;
            var start = i;
            var body = new List<string>();
            for (i++; i < lines.Length && lines[i].Trim() != fence; i++)
            {
                var line = lines[i];
                var leading = line.Length - line.TrimStart(' ').Length;
                body.Add(line[Math.Min(leading, indent)..]);
            }

            yield return new CodeBlock(file, start + 1, open.Groups["language"].Value, string.Join('\n', body));
        }
    }

    private static IEnumerable<DocLink> LinksOf(string file)
    {
        foreach (var (line, number) in ProseLines(file))
        {
            // Inline code is not a link, even when it looks like one.
            var prose = InlineCode().Replace(line, "");
            foreach (Match link in Link().Matches(prose))
            {
                yield return new DocLink(file, number, link.Groups[1].Value);
            }
        }
    }

    /// <summary>The lines outside fenced code blocks, numbered from 1.</summary>
    private static IEnumerable<(string Line, int Number)> ProseLines(string file)
    {
        var lines = File.ReadAllLines(FullPath(file));
        string? fence = null;
        for (var i = 0; i < lines.Length; i++)
        {
            if (fence is null && Fence().Match(lines[i]) is { Success: true } open)
            {
                fence = open.Groups["fence"].Value;
            }
            else if (fence is not null && lines[i].Trim() == fence)
            {
                fence = null;
            }
            else if (fence is null)
            {
                yield return (lines[i], i + 1);
            }
        }
    }

    [GeneratedRegex(@"^(?<indent> *)(?<fence>```+)(?<language>[^`\s]*)\s*$")]
    private static partial Regex Fence();

    [GeneratedRegex(@"^#{1,6}\s+(.+?)\s*#*\s*$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"`[^`]*`")]
    private static partial Regex InlineCode();

    [GeneratedRegex(@"!?\[[^\]]*\]\(([^)\s]+)\)")]
    private static partial Regex Link();
}
