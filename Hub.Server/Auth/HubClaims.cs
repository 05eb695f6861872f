namespace Hub.Server.Auth;

/// <summary>The token claims the hub reads. Inbound claim mapping is off, so they keep their JWT names.</summary>
internal static class HubClaims
{
    /// <summary>The user id.</summary>
    public const string Subject = "sub";

    /// <summary>The groups a connection may use when <c>Hub:Auth:RestrictGroups</c> is on (a JSON array of strings, or one string).</summary>
    public const string Groups = "groups";
}
