using Hub.Client;

namespace Hub.Tests.Docs.Snippets;

/// <summary>Where a token comes from: the reader's own token source, as the snippet names it.</summary>
internal interface ITokenSource
{
    Task<string?> GetFreshTokenAsync();
}

/// <summary>Hub.Client's options in Jwt mode, as docs/security.md shows them.</summary>
internal sealed class TokenProvider : SnippetContext
{
    public static HubClientOptions Options(ITokenSource tokens)
    {
        #region fragment
        var options = new HubClientOptions
        {
            Url = new Uri("https://hub.example.com/hub"),
            AccessTokenProvider = () => tokens.GetFreshTokenAsync(),   // called for every connect and reconnect
        };
        #endregion
        return options;
    }
}
