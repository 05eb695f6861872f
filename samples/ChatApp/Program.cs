using ChatApp;

await ChatServer.Build(args).RunAsync();
