using Microsoft.Extensions.Options;

namespace Hub.Server.Auth;

/// <summary>Stops the node at start when the auth settings cannot work, naming the key.</summary>
internal sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        if (options.Mode == AuthMode.None)
        {
            // Without tokens there is no groups claim: every group would be refused.
            return options.RestrictGroups
                ? ValidateOptionsResult.Fail("Hub:Auth:RestrictGroups needs Hub:Auth:Mode=Jwt: the allowed groups come from the token's 'groups' claim.")
                : ValidateOptionsResult.Success;
        }

        if (!Enum.IsDefined(options.Mode))
        {
            return ValidateOptionsResult.Fail($"Hub:Auth:Mode must be None or Jwt, not '{options.Mode}'.");
        }

        return options.Jwt.KeyBytes(out var problem) is null
            ? ValidateOptionsResult.Fail(problem!)
            : ValidateOptionsResult.Success;
    }
}
