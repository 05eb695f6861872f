namespace Hub.Client.Internal;

/// <summary>
/// A message's data that cannot be carried as it is: too deep, or a value one of JSON and
/// MessagePack cannot hold. Its message says what to send instead; the node passes it on to the caller.
/// </summary>
internal sealed class DataFormatException(string message) : FormatException(message)
{
    public static DataFormatException TooDeep() =>
        new($"The data is nested more than {JsonData.MaxDepth} levels deep (objects and arrays); {JsonData.MaxDepth} is the limit.");

    public static DataFormatException NotUnicode() =>
        new("A string in the data is not valid Unicode (a lone surrogate, or bytes that are not UTF-8).");
}
