package io.din4j.cli;

import io.din4j.data.prepare.Prepare;
import io.din4j.data.prepare.PrepareSummary;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "prepare", sortOptions = false, mixinStandardHelpOptions = true, synopsisSubcommandLabel = "(amazon | taobao | aliccp)",
        description = {"Convert a public data set to canonical train/test CSVs.", "The format is in docs/data-format.md."},
        subcommands = {PrepareCommand.Amazon.class, PrepareCommand.Taobao.class, PrepareCommand.AliCcp.class},
        footer = {"", "Examples:",
                "  din4j prepare amazon --reviews reviews_Books_5.json.gz \\", "      --meta meta_Books.json.gz --out data/books",
                "  din4j prepare taobao --input UserBehavior.csv --out data/taobao \\", "      --max-history 50",
                "  din4j prepare aliccp --input train.csv --test-input test.csv --out data/ali \\", "      --drop search_id"})
final class PrepareCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw Flags.bad(spec, "name a data set: amazon, taobao or aliccp");
    }

    /** Options shared by every data set. */
    static class Output {
        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory for train.csv and test.csv.")
        Path out;

        @Option(names = "--gzip", description = "Write train.csv.gz and test.csv.gz.")
        boolean gzip;

        @Option(names = "--seed", paramLabel = "N", defaultValue = "1", description = "Seed of negative sampling or splitting (default ${DEFAULT-VALUE}).")
        long seed;

        Path train() {
            return out.resolve(gzip ? "train.csv.gz" : "train.csv");
        }

        Path test() {
            return out.resolve(gzip ? "test.csv.gz" : "test.csv");
        }

        interface Job {
            PrepareSummary run(Path train, Path test) throws IOException;
        }

        /** Runs a prepare job into temporary files and renames them when both are complete. */
        void write(CommandSpec spec, Job job) throws IOException {
            PrepareSummary[] s = new PrepareSummary[1];
            AtomicOutput.file(train(), tr -> AtomicOutput.file(test(), te -> s[0] = job.run(tr, te)));
            PrepareSummary r = s[0];
            spec.commandLine().getOut().printf("wrote %s (%d rows) and %s (%d rows)%s%n", train(), r.trainRows(), test(), r.testRows(),
                    r.users() >= 0 ? String.format(", %d users, %d items", r.users(), r.items()) : "");
        }
    }

    @Command(name = "amazon", sortOptions = false, mixinStandardHelpOptions = true,
            description = {"Amazon reviews (the DIN paper's data and protocol).",
                    "Per user, sorted by time, the first k reviews",
                    "predict the (k+1)-th against one sampled negative item; each user's last review goes to test.",
                    "Reads JSON lines or Python-literal lines (the public metadata files), gzipped or not."},
            footer = {"", "Example:", "  din4j prepare amazon --reviews reviews_Electronics_5.json.gz \\", "      --meta meta_Electronics.json.gz --out data/electronics"})
    static final class Amazon implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--reviews", required = true, paramLabel = "FILE", description = "5-core reviews: reviewerID, asin, unixReviewTime per line.")
        Path reviews;

        @Option(names = "--meta", paramLabel = "FILE", description = "Metadata: asin and categories per line (items without it get category 'unknown').")
        Path meta;

        @Option(names = "--max-history", paramLabel = "N", defaultValue = "0", description = "Keep only the most recent N behaviours per row (0 = all, default).")
        int maxHistory;

        @CommandLine.Mixin
        Output output = new Output();

        @Override
        public Integer call() throws IOException {
            Flags.atLeast(spec, "--max-history", maxHistory, 0);
            output.write(spec, (tr, te) -> Prepare.amazon(reviews, meta, tr, te, maxHistory, output.seed));
            return 0;
        }
    }

    @Command(name = "taobao", sortOptions = false, mixinStandardHelpOptions = true,
            description = {"Taobao UserBehavior (the DIN protocol).",
                    "UserBehavior.csv: user_id,item_id,category_id,behavior_type,timestamp, no header;",
                    "by the same protocol as amazon: next behaviour vs one sampled negative, last behaviour to test."},
            footer = {"", "Example:", "  din4j prepare taobao --input UserBehavior.csv.gz --out data/taobao \\", "      --behaviors pv,buy --max-history 50"})
    static final class Taobao implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--input", required = true, paramLabel = "FILE", description = "UserBehavior.csv (or .gz).")
        Path input;

        @Option(names = "--behaviors", split = ",", paramLabel = "TYPE", description = "Behaviour types kept: pv, buy, cart, fav (default: all).")
        List<String> behaviors = List.of();

        @Option(names = "--max-history", paramLabel = "N", defaultValue = "50", description = "Keep only the most recent N behaviours per row (0 = all; default ${DEFAULT-VALUE}).")
        int maxHistory;

        @Option(names = "--samples-per-user", paramLabel = "N", defaultValue = "0", description = "Only each user's last N targets (0 = all, default).")
        int samplesPerUser;

        @CommandLine.Mixin
        Output output = new Output();

        @Override
        public Integer call() throws IOException {
            Flags.atLeast(spec, "--max-history", maxHistory, 0);
            Flags.atLeast(spec, "--samples-per-user", samplesPerUser, 0);
            for (String b : behaviors) {
                if (!Set.of("pv", "buy", "cart", "fav").contains(b)) {
                    throw Flags.bad(spec, "--behaviors", b, "pv, buy, cart or fav");
                }
            }
            output.write(spec, (tr, te) -> Prepare.taobao(input, tr, te, new LinkedHashSet<>(behaviors), maxHistory, samplesPerUser, output.seed));
            return 0;
        }
    }

    @Command(name = "aliccp", sortOptions = false, mixinStandardHelpOptions = true,
            description = {"Ali-CCP / AliExpress-style click and conversion CSVs.",
                    "A CSV with a header: click and conversion labels, sparse",
                    "and dense feature columns. Writes tasks click,conversion and a schema.txt describing the columns.",
                    "Columns named numerical* or dense* (and --dense ones) are dense; all others are sparse."},
            footer = {"", "Example:", "  din4j prepare aliccp --input AliExpress_NL/train.csv \\", "      --test-input AliExpress_NL/test.csv --drop search_id --out data/ae"})
    static final class AliCcp implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--input", required = true, paramLabel = "FILE", description = "CSV with a header.")
        Path input;

        @Option(names = "--test-input", paramLabel = "FILE", description = "Separate test CSV with the same header (else --test-fraction of --input).")
        Path testInput;

        @Option(names = "--click", paramLabel = "COL", defaultValue = "click", description = "Click label column (default ${DEFAULT-VALUE}).")
        String click;

        @Option(names = "--conversion", paramLabel = "COL", defaultValue = "conversion", description = "Conversion label column (default ${DEFAULT-VALUE}).")
        String conversion;

        @Option(names = "--user", description = "Column written as user_id (groups GAUC).")
        String user;

        @Option(names = "--item", description = "Column written as item_id.")
        String item;

        @Option(names = "--category", description = "Column written as cate_id.")
        String category;

        @Option(names = "--dense", split = ",", paramLabel = "COL", description = "Further dense columns.")
        List<String> dense = List.of();

        @Option(names = "--drop", split = ",", paramLabel = "COL", description = "Columns to leave out (e.g. a row id).")
        List<String> drop = List.of();

        @Option(names = "--conversion-space", paramLabel = "SPACE", defaultValue = "clicked", description = "Rows where conversion is labelled: clicked (ESMM/PLE CVR, default) or all.")
        String conversionSpace;

        @Option(names = "--test-fraction", paramLabel = "X", defaultValue = "0.1", description = "Share of rows sent to test.csv without --test-input (default ${DEFAULT-VALUE}).")
        double testFraction;

        @CommandLine.Mixin
        Output output = new Output();

        @Override
        public Integer call() throws IOException {
            if (!conversionSpace.equals("clicked") && !conversionSpace.equals("all")) {
                throw Flags.bad(spec, "--conversion-space", conversionSpace, "clicked or all");
            }
            if (!(testFraction >= 0 && testFraction < 1)) {
                throw Flags.bad(spec, "--test-fraction", testFraction, "a number in [0, 1)");
            }
            Prepare.AliCcpOptions o = new Prepare.AliCcpOptions(click, conversion, user, item, category, Set.copyOf(dense),
                    Set.copyOf(drop), conversionSpace.equals("clicked"), testFraction, output.seed);
            Path schema = output.out.resolve("schema.txt");
            output.write(spec, (tr, te) -> {
                PrepareSummary[] s = new PrepareSummary[1];
                AtomicOutput.file(schema, sc -> s[0] = Prepare.aliccp(input, testInput, tr, te, sc, o));
                return s[0];
            });
            spec.commandLine().getOut().println("wrote " + schema + " (pass it to train with --schema)");
            return 0;
        }
    }
}
