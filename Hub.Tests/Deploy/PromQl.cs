using System.Text.RegularExpressions;

namespace Hub.Tests.Deploy;

/// <summary>
/// What a PromQL expression reads, found without a full parser: PromQL names a series by a bare
/// identifier, and everything else that looks like one is a function (followed by "("), a keyword,
/// or sits inside label matchers, ranges, strings or grouping clauses, which are taken out first.
/// </summary>
internal static partial class PromQl
{
    private static readonly HashSet<string> Keywords =
        ["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "and", "or", "unless", "inf", "nan", "Inf", "NaN"];

    /// <summary>The series names the expression selects, as written (histogram parts keep their _bucket, _sum or _count).</summary>
    public static IReadOnlyList<string> Metrics(string expression)
    {
        var text = StringLiteral().Replace(expression, " ");
        text = Matchers().Replace(text, " ");
        text = Range().Replace(text, " ");
        text = Grouping().Replace(text, " ");
        text = Variable().Replace(text, " ");
        return [.. Identifier().Matches(text).Select(m => m.Value).Where(name => !Keywords.Contains(name)).Distinct()];
    }

    /// <summary>The labels of every by, without, on and ignoring clause.</summary>
    public static IEnumerable<string> GroupingLabels(string expression) =>
        Grouping().Matches(expression).SelectMany(m => m.Groups["labels"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));

    /// <summary>The argument text of each call of <paramref name="function"/>, up to its closing parenthesis.</summary>
    public static IEnumerable<string> Arguments(string expression, string function)
    {
        foreach (Match call in Regex.Matches(expression, $@"\b{Regex.Escape(function)}\s*\("))
        {
            var start = call.Index + call.Length;
            var depth = 1;
            var end = start;
            while (end < expression.Length && (depth += expression[end] switch { '(' => 1, ')' => -1, _ => 0 }) > 0)
            {
                end++;
            }

            yield return expression[start..end];
        }
    }

    [GeneratedRegex(@"""(?:[^""\\]|\\.)*""|'(?:[^'\\]|\\.)*'|`[^`]*`")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Matchers();

    // Ranges and subqueries, [5m] or [$__rate_interval:1m].
    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Range();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\((?<labels>[^)]*)\)")]
    private static partial Regex Grouping();

    // Grafana's variables, $name or ${name}.
    [GeneratedRegex(@"\$\{?\w+\}?")]
    private static partial Regex Variable();

    // A whole identifier, not part of a number (1e3, 0.95) and not a function's name.
    [GeneratedRegex(@"(?<![\w:.$])[a-zA-Z_:][\w:]*(?![\w:])(?!\s*\()")]
    private static partial Regex Identifier();
}
