using YamlDotNet.RepresentationModel;

namespace Hub.Tests.Deploy;

/// <summary>Reading deployment YAML by path, failing with the path that is missing.</summary>
internal static class Yaml
{
    public static IReadOnlyList<YamlMappingNode> Documents(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return [.. stream.Documents.Select(d => (YamlMappingNode)d.RootNode)];
    }

    /// <summary>The node at <paramref name="path"/>: mapping keys as strings, sequence items as ints.</summary>
    public static YamlNode At(this YamlNode node, params object[] path)
    {
        var current = node;
        foreach (var step in path)
        {
            YamlNode? next = (current, step) switch
            {
                (YamlMappingNode map, string key) => map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null,
                (YamlSequenceNode list, int index) => index < list.Children.Count ? list.Children[index] : null,
                _ => null,
            };
            current = next ?? throw new AssertionException($"No '{string.Join('.', path)}' in the YAML (stopped at '{step}').");
        }

        return current;
    }

    public static string Text(this YamlNode node, params object[] path) =>
        ((YamlScalarNode)node.At(path)).Value ?? "";

    public static IEnumerable<YamlNode> Items(this YamlNode node, params object[] path) => (YamlSequenceNode)node.At(path);

    public static IEnumerable<string> Keys(this YamlNode node, params object[] path) =>
        ((YamlMappingNode)node.At(path)).Children.Keys.Select(k => k.ToString());

    public static bool Has(this YamlNode node, string key) =>
        node is YamlMappingNode map && map.Children.ContainsKey(new YamlScalarNode(key));

    /// <summary>The item of a sequence of mappings whose "name" is <paramref name="name"/>.</summary>
    public static YamlNode Named(this YamlNode node, string name, params object[] path) =>
        node.Items(path).SingleOrDefault(item => item.Has("name") && item.Text("name") == name)
            ?? throw new AssertionException($"No item named '{name}' in '{string.Join('.', path)}'.");
}
