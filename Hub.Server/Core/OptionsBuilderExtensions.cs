using Microsoft.Extensions.Options;

namespace Hub.Server.Core;

internal static class OptionsBuilderExtensions
{
    /// <summary>
    /// Like <c>Validate(predicate, message)</c>, with a message that can name the value that was
    /// given: an invalid setting stops the node with its key, its value and what is allowed.
    /// </summary>
    public static OptionsBuilder<TOptions> Require<TOptions>(this OptionsBuilder<TOptions> builder, Func<TOptions, bool> valid, Func<TOptions, string> failure)
        where TOptions : class
    {
        builder.Services.AddSingleton<IValidateOptions<TOptions>>(new OptionsRequirement<TOptions>(builder.Name, valid, failure));
        return builder;
    }
}
