using System.Text.Json;

namespace Hub.Tests.Data;

/// <summary>
/// The data every way of publishing must carry unchanged: every JSON kind, and the edges where
/// JSON and MessagePack differ (integers past 2^53 and 2^63, doubles at their limits, -0, escapes,
/// text outside the Basic Multilingual Plane, empty containers, the deepest nesting allowed).
/// </summary>
public static class DataShapes
{
    public static IReadOnlyList<(string Name, string Json)> All { get; } =
    [
        ("an object", """{"name":"ada","age":36,"tags":["x","y"],"nested":{"deeper":{"deepest":[1,{"none":null}]}}}"""),
        ("an array of every kind", """[1,"two",true,false,null,{"k":[]},[[]]]"""),
        ("a string", "\"plain\""),
        ("an empty string", "\"\""),
        ("text that needs escapes", "\"é 日本 😀 \\u0001 \\u007f \\\" \\\\ </script> \\n\\t\""),
        ("keys that need escapes", """{"ключ":"значение","😀":1,"":0,"a\"b":2,"tab\tkey":3}"""),
        ("an integer", "42"),
        ("a negative integer", "-7"),
        ("2^53 + 1", "9007199254740993"),
        ("the 64-bit integer extremes", "[-9223372036854775808,9223372036854775807,18446744073709551615]"),
        ("doubles", "[0.1,-1.5E-300,1.7976931348623157E+308,5E-324,3.141592653589793,2.5]"),
        ("negative zero", "-0"),
        ("true", "true"),
        ("false", "false"),
        ("an empty object", "{}"),
        ("an empty array", "[]"),
        ("nesting 32 deep", Nested(32)),
    ];

    /// <summary>Arrays nested <paramref name="depth"/> deep around one value.</summary>
    public static string Nested(int depth) => new string('[', depth) + "\"core\"" + new string(']', depth);

    public static JsonElement Parse(string json) => JsonElement.Parse(json);

    /// <summary>
    /// Fails unless <paramref name="actual"/> is <paramref name="expected"/> as a JSON value, members in
    /// the same order, numbers of equal value and a zero's sign kept.
    /// </summary>
    public static void AssertSame(JsonElement expected, JsonElement actual, string what, string path = "$")
    {
        Assert.That(actual.ValueKind, Is.EqualTo(expected.ValueKind), $"{what}: the kind at {path}");
        switch (expected.ValueKind)
        {
            case JsonValueKind.Object:
                var wanted = expected.EnumerateObject().ToList();
                var got = actual.EnumerateObject().ToList();
                Assert.That(got.Select(p => p.Name), Is.EqualTo(wanted.Select(p => p.Name)), $"{what}: the members at {path}");
                for (var i = 0; i < wanted.Count; i++)
                {
                    AssertSame(wanted[i].Value, got[i].Value, what, $"{path}.{wanted[i].Name}");
                }

                break;
            case JsonValueKind.Array:
                Assert.That(actual.GetArrayLength(), Is.EqualTo(expected.GetArrayLength()), $"{what}: the length at {path}");
                foreach (var (item, i) in expected.EnumerateArray().Select((item, i) => (item, i)))
                {
                    AssertSame(item, actual[i], what, $"{path}[{i}]");
                }

                break;
            case JsonValueKind.String:
                Assert.That(actual.GetString(), Is.EqualTo(expected.GetString()), $"{what}: the string at {path}");
                break;
            case JsonValueKind.Number:
                Assert.That(JsonElement.DeepEquals(expected, actual), $"{what}: {actual.GetRawText()} came for {expected.GetRawText()} at {path}");
                Assert.That(actual.GetRawText().StartsWith('-'), Is.EqualTo(expected.GetRawText().StartsWith('-')), $"{what}: the sign at {path}");
                break;
        }
    }
}
