namespace Hub.Server.Cors;

/// <summary>Which browser origins may use the hub and the API from another site: <c>Hub:Cors</c>.</summary>
internal sealed class HubCorsOptions
{
    public const string Section = "Hub:Cors";

    /// <summary>Allowed origins (<c>https://app.example.com</c>); none = same-origin only.</summary>
    public List<string> Origins { get; set; } = [];
}
