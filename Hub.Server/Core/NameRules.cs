namespace Hub.Server.Core;

/// <summary>The rules every group name, user id and connection id must pass, wherever they come from.</summary>
internal static class NameRules
{
    public const int MaxNameLength = 128;

    public static void ValidateGroup(string? group) => ValidateName(group, "group name");

    public static void ValidateUser(string? user) => ValidateName(user, "user id");

    public static void ValidateConnectionId(string? connectionId)
    {
        if (string.IsNullOrEmpty(connectionId))
        {
            throw HubRequestException.Invalid("The connection id is empty.");
        }
    }

    public static bool IsValidName(string? name) => name is { Length: > 0 and <= MaxNameLength } &&
        !name.AsSpan().ContainsAny(ForbiddenNameChars);

    // '/' and every char.IsControl character (U+0000-U+001F, U+007F-U+009F), checked in one vectorized pass.
    private static readonly System.Buffers.SearchValues<char> ForbiddenNameChars = System.Buffers.SearchValues.Create(
        "/" + new string([.. Enumerable.Range(0, 0x20).Concat(Enumerable.Range(0x7F, 0x21)).Select(c => (char)c)]));

    private static void ValidateName(string? name, string what)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw HubRequestException.Invalid($"The {what} is empty; it must be 1 to {MaxNameLength} characters.");
        }

        if (name.Length > MaxNameLength)
        {
            throw HubRequestException.Invalid($"The {what} is {name.Length} characters; the limit is {MaxNameLength}.");
        }

        if (!IsValidName(name))
        {
            throw HubRequestException.Invalid($"The {what} '{name}' contains a control character or '/', which are not allowed.");
        }
    }
}
