return EdgeNorm.Cli.CliApp.Run(args, Console.Out, Console.Error);
