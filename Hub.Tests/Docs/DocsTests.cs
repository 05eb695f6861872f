using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace Hub.Tests.Docs;

/// <summary>
/// The docs hold no code that nothing checks and no link that leads nowhere. Each language has its
/// check: C# is compiled with these tests (<see cref="CompiledSnippets"/>) and run
/// (<see cref="DotNetSnippetTests"/>); HTML runs in Chromium (<see cref="BrowserSnippetTests"/>),
/// JavaScript in Node (<see cref="NodeSnippetTests"/>), shell in bash or is excluded with a reason
/// (<see cref="ShellSnippetTests"/>); YAML and JSON are parsed here.
/// </summary>
public sealed class DocsTests
{
    /// <summary>Languages whose blocks a test checks.</summary>
    private static readonly string[] Checked = ["csharp", "html", "js", "sh", "yaml", "json"];

    /// <summary>Blocks that are not code: diagrams, directory trees, console output.</summary>
    private static readonly string[] NotCode = ["mermaid", "text"];

    [Test]
    public void EveryCodeBlock_NamesALanguage_ThatATestChecks()
    {
        var unknown = MarkdownDocs.Blocks
            .Where(b => !Checked.Contains(b.Language) && !NotCode.Contains(b.Language))
            .Select(b => $"{b.Where}: '{b.Language}'")
            .ToList();

        Assert.That(unknown, Is.Empty,
            $"Blocks no test checks. Tag each with one of {string.Join(", ", Checked.Concat(NotCode))}, or teach the tests the new language.");
    }

    [Test]
    public void EveryCSharpSnippet_IsCompiled_AsWritten()
    {
        var compiled = CompiledSnippets.All();
        var missing = MarkdownDocs.Blocks
            .Where(b => b.Language == "csharp")
            .Where(b => !compiled.Any(c => c.Matches(CSharpCode.Parse(b.Lines))))
            .Select(b => b.Where)
            .ToList();

        Assert.That(missing, Is.Empty,
            "C# snippets of the docs that no compiled code holds to the letter. Each must stand in a " +
            "'#region program' (a whole program: its using directives are those of its file) or a " +
            "'#region fragment' (no using directives) in Hub.Tests/Docs/Snippets, as the docs show it.");
    }

    [Test]
    public void EveryCompiledSnippet_IsInTheDocs()
    {
        var documented = MarkdownDocs.Blocks.Where(b => b.Language == "csharp").Select(b => CSharpCode.Parse(b.Lines)).ToList();
        var stale = CompiledSnippets.All().Where(c => !documented.Any(c.Matches)).Select(c => c.Where).ToList();

        Assert.That(stale, Is.Empty, "Regions of Hub.Tests/Docs/Snippets that the docs no longer show: put them back in the docs, or delete them.");
        Assert.That(CompiledSnippets.All(), Has.Some.Matches<CompiledSnippet>(c => c.IsProgram), "the regions were found");
    }

    [Test]
    public void EveryYamlAndJsonSnippet_Parses()
    {
        Assert.Multiple(() =>
        {
            foreach (var block in MarkdownDocs.Blocks.Where(b => b.Language == "yaml"))
            {
                Assert.DoesNotThrow(() => new YamlStream().Load(new StringReader(block.Text)), block.Where);
            }

            foreach (var block in MarkdownDocs.Blocks.Where(b => b.Language == "json"))
            {
                Assert.DoesNotThrow(() => JsonDocument.Parse(block.Text).Dispose(), block.Where);
            }
        });
    }

    [Test]
    public void EveryLink_LeadsToAFile_AndAHeading_ThatExist()
    {
        var broken = new List<string>();
        foreach (var link in MarkdownDocs.Links)
        {
            if (link.Target.Contains("://", StringComparison.Ordinal) || link.Target.StartsWith("mailto:", StringComparison.Ordinal))
            {
                continue;
            }

            var parts = link.Target.Split('#', 2);
            var file = parts[0].Length == 0
                ? link.File
                : Path.GetRelativePath(MarkdownDocs.FullPath(""), Path.GetFullPath(Path.Combine(Path.GetDirectoryName(MarkdownDocs.FullPath(link.File))!, parts[0]))).Replace('\\', '/');
            var path = MarkdownDocs.FullPath(file);
            if (!File.Exists(path) && !Directory.Exists(path))
            {
                broken.Add($"{link.File}:{link.Line}: {link.Target} (no {file})");
            }
            else if (parts.Length == 2 && !(file.EndsWith(".md", StringComparison.Ordinal) && MarkdownDocs.Anchors(file).Contains(parts[1])))
            {
                broken.Add($"{link.File}:{link.Line}: {link.Target} (no heading '#{parts[1]}' in {file})");
            }
        }

        Assert.That(broken, Is.Empty);
        Assert.That(MarkdownDocs.Links.Count(), Is.GreaterThan(50), "the links were found");
    }
}
