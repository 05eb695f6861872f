namespace Hub.Server.Auth;

/// <summary>Who may connect and what the token allows: <c>Hub:Auth</c>.</summary>
internal sealed class AuthOptions
{
    public const string Section = "Hub:Auth";

    public AuthMode Mode { get; set; } = AuthMode.None;

    public JwtOptions Jwt { get; set; } = new();

    /// <summary>
    /// When true, a connection may join, send to, see the presence of and resume only the groups
    /// its token's <c>groups</c> claim lists. Needs <see cref="AuthMode.Jwt"/>.
    /// </summary>
    public bool RestrictGroups { get; set; }
}
