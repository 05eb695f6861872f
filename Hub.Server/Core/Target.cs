using MessagePack;

namespace Hub.Server.Core;

/// <summary>Who a message is for; each target is one stream.</summary>
[MessagePackObject]
internal readonly record struct Target([property: Key(0)] TargetKind Kind, [property: Key(1)] string? Id)
{
    public static readonly Target All = new(TargetKind.All, null);

    public static Target Connection(string id) => new(TargetKind.Connection, id);

    public static Target User(string id) => new(TargetKind.User, id);

    public static Target Group(string name) => new(TargetKind.Group, name);

    /// <summary>The stream name of the contract: <c>all</c>, <c>group:{g}</c>, <c>user:{u}</c>, <c>connection:{c}</c>.</summary>
    [IgnoreMember]
    public string Stream => Kind switch
    {
        TargetKind.All => "all",
        TargetKind.Group => "group:" + Id,
        TargetKind.User => "user:" + Id,
        TargetKind.Connection => "connection:" + Id,
        _ => throw new InvalidOperationException($"Unknown target kind {Kind}."),
    };

    /// <summary>Reads a stream name back into its target; a caller's stream that is none fails with what a stream is.</summary>
    /// <exception cref="HubRequestException">It is not a stream.</exception>
    public static Target ParseStream(string? stream) => TryParseStream(stream, out var target)
        ? target
        : throw HubRequestException.Invalid(
            $"'{stream}' is not a stream: use all, group:{{name}}, user:{{id}} or connection:{{id}}, with a name of 1 to {NameRules.MaxNameLength} characters and no control characters or '/'.");

    /// <summary>
    /// Reads a stream name back into its target. False for anything that is not a stream of the
    /// contract, or whose group, user or connection part breaks the naming rules.
    /// </summary>
    public static bool TryParseStream(string? stream, out Target target)
    {
        target = default;
        if (stream == "all")
        {
            target = All;
            return true;
        }

        var colon = stream?.IndexOf(':') ?? -1;
        if (colon <= 0)
        {
            return false;
        }

        var id = stream![(colon + 1)..];
        TargetKind? kind = stream.AsSpan(0, colon) switch
        {
            "group" => TargetKind.Group,
            "user" => TargetKind.User,
            "connection" => TargetKind.Connection,
            _ => null,
        };
        if (kind is null || !NameRules.IsValidName(id))
        {
            return false;
        }

        target = new Target(kind.Value, id);
        return true;
    }

    /// <summary>The label used for metrics and logs.</summary>
    [IgnoreMember]
    public string KindName => Kind switch
    {
        TargetKind.All => "all",
        TargetKind.Group => "group",
        TargetKind.User => "user",
        _ => "connection",
    };
}

internal enum TargetKind : byte
{
    All = 0,
    Connection = 1,
    User = 2,
    Group = 3,
}
