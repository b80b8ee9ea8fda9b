package io.din4j.cli;

import io.din4j.data.synth.SyntheticWorld;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "generate", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Write a synthetic world as train and test CSVs.",
                "The CSVs are in the canonical format (docs/data-format.md).",
                "Users hold a few interests; a click depends on how the candidate matches part of the history;",
                "with --tasks 2 a conversion column follows clicks. Seeded and reproducible."},
        footer = {"", "Examples:",
                "  din4j generate --out data/synth",
                "  din4j generate --out data/mt --users 20000 --tasks 2 --max-history 50 --gzip"})
final class GenerateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory for train.csv and test.csv.")
    Path out;

    @Option(names = "--users", paramLabel = "N", defaultValue = "2000", description = "Users (default ${DEFAULT-VALUE}).")
    int users;

    @Option(names = "--items", paramLabel = "N", defaultValue = "5000", description = "Items (default ${DEFAULT-VALUE}).")
    int items;

    @Option(names = "--categories", paramLabel = "N", defaultValue = "100", description = "Categories (default ${DEFAULT-VALUE}).")
    int categories;

    @Option(names = "--interests", paramLabel = "N", defaultValue = "3", description = "Interests (categories) per user (default ${DEFAULT-VALUE}).")
    int interests;

    @Option(names = "--min-history", paramLabel = "N", defaultValue = "0", description = "Shortest history (default ${DEFAULT-VALUE}).")
    int minHistory;

    @Option(names = "--max-history", paramLabel = "N", defaultValue = "30", description = "Longest history (default ${DEFAULT-VALUE}).")
    int maxHistory;

    @Option(names = "--samples-per-user", paramLabel = "N", defaultValue = "20", description = "Impressions per user, train and test (default ${DEFAULT-VALUE}).")
    int samplesPerUser;

    @Option(names = "--test-fraction", paramLabel = "X", defaultValue = "0.2", description = "Share of each user's latest impressions in test.csv (default ${DEFAULT-VALUE}).")
    double testFraction;

    @Option(names = "--tasks", paramLabel = "N", defaultValue = "1", description = "1: column 'label'; 2: columns 'click,conversion' (default ${DEFAULT-VALUE}).")
    int tasks;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42", description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--gzip", description = "Write train.csv.gz and test.csv.gz.")
    boolean gzip;

    @Override
    public Integer call() throws Exception {
        if (tasks != 1 && tasks != 2) {
            throw Flags.bad(spec, "--tasks", tasks, "1 or 2");
        }
        Flags.atLeast(spec, "--users", users, 1);
        Flags.atLeast(spec, "--items", items, 1);
        Flags.atLeast(spec, "--categories", categories, 1);
        Flags.atLeast(spec, "--interests", interests, 1);
        Flags.atLeast(spec, "--min-history", minHistory, 0);
        Flags.atLeast(spec, "--max-history", maxHistory, minHistory);
        Flags.atLeast(spec, "--samples-per-user", samplesPerUser, 1);
        // The world's own checks name its Java fields; say the same in the flags' terms first.
        if (items < categories) {
            throw Flags.bad(spec, "--items", items, "at least --categories = " + categories + ": each category needs an item");
        }
        if (interests > categories) {
            throw Flags.bad(spec, "--interests", interests, "at most --categories = " + categories);
        }
        if (!(testFraction >= 0 && testFraction < 1)) {
            throw Flags.bad(spec, "--test-fraction", testFraction, "a number in [0, 1)");
        }
        SyntheticWorld.Config config;
        try {
            config = new SyntheticWorld.Config(users, items, categories, interests, minHistory, maxHistory, samplesPerUser,
                    testFraction, tasks == 2, seed);
        } catch (IllegalArgumentException e) {
            throw Flags.bad(spec, e.getMessage());
        }
        SyntheticWorld world = SyntheticWorld.of(config);
        String ext = gzip ? ".csv.gz" : ".csv";
        Path train = out.resolve("train" + ext);
        Path test = out.resolve("test" + ext);
        AtomicOutput.file(train, tmpTrain -> AtomicOutput.file(test, tmpTest -> world.write(tmpTrain, tmpTest)));
        PrintWriter o = spec.commandLine().getOut();
        int testPerUser = config.testSamplesPerUser();
        o.printf("wrote %s (%d rows) and %s (%d rows), tasks: %s%n", train, (long) users * (samplesPerUser - testPerUser), test,
                (long) users * testPerUser, String.join(",", world.schema().tasks()));
        return 0;
    }
}
