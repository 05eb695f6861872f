using Microsoft.Extensions.Options;

namespace Hub.Server.Core;

/// <summary>One rule of an options class, whose failure message is written from the options themselves.</summary>
internal sealed class OptionsRequirement<TOptions>(string? name, Func<TOptions, bool> valid, Func<TOptions, string> failure) : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? optionsName, TOptions options) =>
        name is not null && name != optionsName ? ValidateOptionsResult.Skip
        : valid(options) ? ValidateOptionsResult.Success
        : ValidateOptionsResult.Fail(failure(options));
}
