namespace Hub.Server.Core;

/// <summary>The rules every group name, user id, connection id and event name must pass, wherever they come from.</summary>
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

    /// <summary>An event name, <c>message</c> when none is given: 1 to 128 characters, no control characters.</summary>
    public static string ValidateEvent(string? name) => name is null ? Hub.Client.Message.DefaultEvent : ValidateLabel(name, "event name");

    /// <summary>The name of an application method (<c>Call</c>): 1 to 128 characters, no control characters.</summary>
    public static string ValidateMethod(string? name) => ValidateLabel(name ?? "", "method name");

    private static string ValidateLabel(string name, string what)
    {
        if (name.Length is 0 or > MaxNameLength)
        {
            throw HubRequestException.Invalid($"The {what} is {name.Length} characters; it must be 1 to {MaxNameLength}.");
        }

        return name.AsSpan().ContainsAny(ControlChars)
            ? throw HubRequestException.Invalid($"The {what} '{name}' contains a control character, which is not allowed.")
            : name;
    }

    public static bool IsValidName(string? name) => name is { Length: > 0 and <= MaxNameLength } &&
        !name.AsSpan().ContainsAny(ForbiddenNameChars);

    // Every char.IsControl character (U+0000-U+001F, U+007F-U+009F), and with it '/' for names,
    // checked in one vectorized pass.
    private static readonly string Controls = new([.. Enumerable.Range(0, 0x20).Concat(Enumerable.Range(0x7F, 0x21)).Select(c => (char)c)]);
    private static readonly System.Buffers.SearchValues<char> ControlChars = System.Buffers.SearchValues.Create(Controls);
    private static readonly System.Buffers.SearchValues<char> ForbiddenNameChars = System.Buffers.SearchValues.Create("/" + Controls);

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
