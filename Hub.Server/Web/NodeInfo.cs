namespace Hub.Server.Web;

/// <summary>The body of <c>GET /node</c>: which node answered.</summary>
internal sealed record NodeInfo(string Node);
