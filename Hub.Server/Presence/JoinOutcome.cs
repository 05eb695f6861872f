namespace Hub.Server.Presence;

internal enum JoinOutcome
{
    Joined,
    AlreadyMember,
    UnknownConnection,
    TooManyGroups,
}
