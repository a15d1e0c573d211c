// Entry point for fxr's Google Benchmark microbenchmarks. A benchmark that reports an error
// (State::SkipWithError: its set-up failed, or its work did not have the effect it checks)
// makes the program exit 1, so that the bench-micro-smoke test fails instead of printing a
// line nobody reads. Display: console, or JSON with --benchmark_format=json (CSV, which
// Google Benchmark deprecates, is not offered); --benchmark_out works as usual.
#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>
#include <vector>

#include <unistd.h>

namespace {

// Hands every report to the display reporter, counting the runs that ended in an error.
class ErrorCounter : public benchmark::BenchmarkReporter {
public:
	explicit ErrorCounter(std::unique_ptr<benchmark::BenchmarkReporter> display)
		: display_(std::move(display))
	{
	}
	bool ReportContext(const Context &context) override
	{
		return display_->ReportContext(context);
	}
	void ReportRuns(const std::vector<Run> &runs) override
	{
		for (const Run &run : runs)
			errors_ += run.error_occurred ? 1 : 0;
		display_->ReportRuns(runs);
	}
	void Finalize() override { display_->Finalize(); }
	int errors() const { return errors_; }

private:
	std::unique_ptr<benchmark::BenchmarkReporter> display_;
	int errors_ = 0;
};

bool wants_json(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (std::strcmp(argv[i], "--benchmark_format=json") == 0)
			return true;
	return false;
}

} // namespace

int main(int argc, char **argv)
{
	std::unique_ptr<benchmark::BenchmarkReporter> display;

	if (wants_json(argc, argv))
		display = std::make_unique<benchmark::JSONReporter>();
	else
		display = std::make_unique<benchmark::ConsoleReporter>(isatty(STDOUT_FILENO)
			? benchmark::ConsoleReporter::OO_Color : benchmark::ConsoleReporter::OO_None);
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	ErrorCounter reporter(std::move(display));
	benchmark::RunSpecifiedBenchmarks(&reporter);
	benchmark::Shutdown();
	return reporter.errors() != 0 ? 1 : 0;
}
