namespace Hub.Server.Auth;

/// <summary>How the hub learns who a connection is: <c>Hub:Auth:Mode</c>.</summary>
internal enum AuthMode
{
    /// <summary>Anonymous; a client may name itself with the <c>user</c> query parameter (development only).</summary>
    None,

    /// <summary>Every connection needs a valid HS256 bearer token; the user id is its <c>sub</c> claim.</summary>
    Jwt,
}
