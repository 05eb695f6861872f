namespace Hub.Server.Core;

/// <summary>The backplane could not take a publish; nobody received the message.</summary>
internal sealed class BackplaneUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
