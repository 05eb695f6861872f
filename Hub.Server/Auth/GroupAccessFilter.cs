using Hub.Client;
using Hub.Server.Core;
using Microsoft.AspNetCore.SignalR;

namespace Hub.Server.Auth;

/// <summary>
/// <c>Hub:Auth:RestrictGroups</c>: a connection may use only the groups its token's <c>groups</c>
/// claim lists. Joining, sending to, reading the presence of and resuming any other group fails
/// that call (publishing to it too); <c>Leave</c> is always allowed, since it can only take the caller out.
/// </summary>
internal sealed class GroupAccessFilter : IHubFilter
{
    public ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        var arguments = context.HubMethodArguments;
        switch (context.HubMethodName)
        {
            case nameof(IHubServer.Join):
            case nameof(IHubServer.SendToGroup):
            case nameof(IHubServer.GetPresence):
                Check(context, arguments.Count > 0 ? arguments[0] as string : null);
                break;
            case nameof(IHubServer.Publish) when arguments.Count > 0 && arguments[0] is PublishRequest request:
                CheckStream(context, request.To);
                break;
            case nameof(IHubServer.Resume) when arguments.Count > 0 && arguments[0] is ResumeRequest resume:
                foreach (var position in resume.Streams)
                {
                    CheckStream(context, position.Stream);
                }

                break;
        }

        return next(context);
    }

    private static void CheckStream(HubInvocationContext context, string? stream)
    {
        if (Target.TryParseStream(stream, out var target) && target.Kind == TargetKind.Group)
        {
            Check(context, target.Id);
        }
    }

    private static void Check(HubInvocationContext context, string? group)
    {
        // A missing or malformed name (GetPresence(null) is the whole hub) is the hub's to
        // answer, with the error that says what is wrong with it.
        if (!NameRules.IsValidName(group) || context.Context.User?.HasClaim(HubClaims.Groups, group!) == true)
        {
            return;
        }

        throw new HubRequestException(RequestError.Forbidden,
            $"The token does not allow group '{group}': its '{HubClaims.Groups}' claim does not list it (Hub:Auth:RestrictGroups is on).");
    }
}
