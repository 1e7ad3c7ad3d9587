#include "batch.hpp"

#include <glob.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <thread>

#include "imgpool/image_io.hpp"
#include "imgpool/pool.hpp"
#include "log.hpp"
#include "naming.hpp"
#include "report.hpp"
#include "run.hpp"
#include "signals.hpp"

namespace fs = std::filesystem;

namespace imgpool::cli {
namespace {

// An input file and where its outputs go relative to -o (the directory part).
struct Source {
    fs::path file;
    fs::path relative_dir;
};

std::string lower(std::string s) {
    for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// In directories only files imgpool reads are taken (not .txt notes), or those of --ext.
bool wanted_in_directory(const fs::path& p, const Options& o) {
    const std::string ext = lower(p.extension().string());
    if (!o.extensions.empty())
        return std::any_of(o.extensions.begin(), o.extensions.end(),
                           [&](const std::string& e) { return ext == "." + lower(e[0] == '.' ? e.substr(1) : e); });
    return ext != ".txt" && io::format_from_path(p.string()) != io::Format::unknown;
}

void add_directory(const fs::path& dir, const Options& o, std::vector<Source>& out) {
    std::vector<fs::path> files;
    auto take = [&](const fs::directory_entry& e) {
        if (!e.is_regular_file()) return;
        if (wanted_in_directory(e.path(), o)) files.push_back(e.path());
        else spdlog::debug("skipping {}: not an image or array file", e.path().string());
    };
    std::error_code ec;
    if (o.recursive) {
        for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
            take(*it);
    } else {
        for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) take(*it);
    }
    if (ec) throw Failure{io_failure, dir.string(), ec.message()};
    std::sort(files.begin(), files.end());  // the same order on every run
    for (const fs::path& f : files) out.push_back({f, f.parent_path().lexically_relative(dir)});
}

std::vector<std::string> expand_glob(const std::string& pattern) {
    glob_t g{};
    std::vector<std::string> found;
    if (::glob(pattern.c_str(), 0, nullptr, &g) == 0)
        for (size_t i = 0; i < g.gl_pathc; ++i) found.emplace_back(g.gl_pathv[i]);
    ::globfree(&g);
    return found;  // glob() sorts
}

std::vector<std::string> read_list(const std::string& from) {
    std::vector<std::string> paths;
    std::ifstream file;
    if (from != "-") {
        file.open(from);
        if (!file) throw Failure{io_failure, from, "cannot read the list of files"};
    }
    std::istream& in = from == "-" ? std::cin : file;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) paths.push_back(line);
    }
    return paths;
}

// A named file or a directory; a file that does not exist is kept, to fail on its own line.
void add_named(const std::string& path, const Options& o, std::vector<Source>& out) {
    if (fs::is_directory(path)) add_directory(path, o, out);
    else out.push_back({path, {}});
}

std::vector<Source> sources(const Options& o) {
    std::vector<Source> out;
    for (const std::string& in : o.inputs) {
        const bool pattern = in.find_first_of("*?[") != std::string::npos && !fs::exists(in);
        if (!pattern) {
            add_named(in, o, out);
            continue;
        }
        const auto matches = expand_glob(in);
        if (matches.empty()) throw Failure{io_failure, in, "no file matches this pattern"};
        for (const std::string& m : matches) add_named(m, o, out);
    }
    if (!o.files_from.empty())
        for (const std::string& p : read_list(o.files_from)) add_named(p, o, out);
    return out;
}

// The input's own extension, but PNM results by their channels, which the file's first bytes
// tell before it is read: a bitmap's are gray (.pbm is read, never written), and so are a
// graymap's under any PNM name (a .ppm holding P5) and every result of --grayscale; a .pgm
// holding a pixmap (P6) gives a .ppm. (A single input's result is named once decoded:
// targets.cpp.)
std::string output_extension(const Options& o, const fs::path& input) {
    if (!o.format.empty()) return "." + o.format;
    const std::string ext = lower(input.extension().string());
    if (ext != ".pbm" && ext != ".ppm" && ext != ".pgm") return input.extension().string();
    io::Bytes head(3, 0);
    std::ifstream in(input, std::ios::binary);
    in.read(reinterpret_cast<char*>(head.data()), std::streamsize(head.size()));
    const io::Format content = in ? io::sniff(head) : io::Format::unknown;  // unreadable: fails later, by its name
    const bool gray = o.grayscale || ext == ".pbm" || content == io::Format::pgm || content == io::Format::pnm;
    const std::string want = gray ? ".pgm" : content == io::Format::ppm ? ".ppm" : ext;
    return want == ext ? input.extension().string() : want;
}

std::string expand_name(const Options& o, const PoolParams& p, const fs::path& input) {
    const std::string ext = output_extension(o, input);
    std::string name = o.name;
    auto put = [&](const std::string& key, const std::string& value) {
        for (size_t at; (at = name.find(key)) != std::string::npos;) name.replace(at, key.size(), value);
    };
    put("{stem}", input.stem().string());
    put("{tag}", operation_tag(o, p));
    put("{type}", to_string(p.type));
    put("{ext}", ext);
    return name;
}

}  // namespace

unsigned long long stable_hash(const std::string& s) {
    unsigned long long h = 14695981039346656037ull;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    return h;
}

std::vector<Job> plan_jobs(const Options& o) {
    const fs::path out_dir(o.output);
    std::vector<Job> jobs;
    std::map<std::string, std::string> owner;  // output -> the input that writes it
    for (const Source& s : sources(o)) {
        Job job{s.file.string(), "", {}};
        for (PoolType t : o.types) {
            const fs::path rel = s.relative_dir / expand_name(o, params_for(o, t), s.file);
            const std::string path = (out_dir / rel).lexically_normal().string();
            if (job.relative.empty()) job.relative = rel.lexically_normal().generic_string();
            const auto [it, fresh] = owner.emplace(path, job.input);
            if (!fresh)
                throw Failure{usage, "--output", it->second + " and " + job.input + " would both write " + path +
                                                     " (use --name with more of the path, or separate runs)"};
            job.outputs.push_back(path);
        }
        jobs.push_back(std::move(job));
    }
    if (o.shard_count > 1) {
        std::vector<Job> share;
        for (Job& j : jobs)
            if (stable_hash(j.relative) % unsigned(o.shard_count) == unsigned(o.shard_index - 1)) share.push_back(std::move(j));
        jobs.swap(share);
    }
    return jobs;
}

namespace {

enum class Status { done, skipped, failed };

struct Tally {
    std::atomic<size_t> done{0}, skipped{0}, failed{0};
    size_t finished() const { return done + skipped + failed; }
};

// "[=======>      ] 120/1000  35.2/s  ETA 0:25" on the terminal, redrawn in place.
class Progress {
public:
    Progress(const Options& o, size_t total, const Tally& tally)
        : total_(total), tally_(tally), active_(!o.quiet && ::isatty(message_fd()) && total > 0) {
        if (!active_) return;
        set_progress_bar(true);
        thread_ = std::thread([this] { loop(); });
    }
    ~Progress() {
        if (!active_) return;
        stop_ = true;
        thread_.join();
        draw(true);
        set_progress_bar(false);
    }

private:
    void loop() {
        while (!stop_) {
            draw(false);
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
    void draw(bool last) {
        const size_t n = tally_.finished();
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
        const double rate = seconds > 0 ? double(n) / seconds : 0;
        const int width = 30, filled = int(width * double(n) / double(total_));
        const long eta = rate > 0 ? long(double(total_ - n) / rate) : 0;
        char line[160];
        std::snprintf(line, sizeof line, "\r\033[K[%s%s] %zu/%zu  %.1f/s  ETA %ld:%02ld%s", std::string(size_t(filled), '=').c_str(),
                      std::string(size_t(width - filled), ' ').c_str(), n, total_, rate, eta / 60, eta % 60,
                      last ? "\n" : "");
        if (::write(message_fd(), line, std::strlen(line)) < 0) return;
    }

    size_t total_;
    const Tally& tally_;
    bool active_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
    const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

nlohmann::json record(const Job& job, Status status, const Outcome* out, const std::string& error, double ms) {
    static const char* const names[] = {"done", "skipped", "failed"};
    nlohmann::json j = {{"input", job.input}, {"output", job.outputs.size() == 1 ? nlohmann::json(job.outputs[0]) : nlohmann::json(job.outputs)},
                        {"status", names[int(status)]}, {"error", error.empty() ? nlohmann::json(nullptr) : nlohmann::json(error)},
                        {"milliseconds", ms}};
    if (out) {
        j["input_shape"] = shape_json({out->info.width, out->info.height}, out->info.channels);
        j["output_shape"] = shape_json(out->types[0].size, out->types[0].channels);
    }
    return j;
}

}  // namespace

int run_batch(const Options& o, const std::vector<Job>& jobs) {
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const unsigned workers = unsigned(std::min<size_t>(o.jobs > 0 ? unsigned(o.jobs) : cores, std::max<size_t>(1, jobs.size())));
    // Jobs times per-image threads never exceed the cores, unless --threads says otherwise.
    const int threads = o.threads > 0 ? o.threads : int(std::max(1u, cores / workers));
    cv::setNumThreads(threads);
    spdlog::debug("{} files, {} jobs at once, {} threads each", jobs.size(), workers, threads);

    Tally tally;
    std::atomic<size_t> next{0};
    std::atomic<bool> halt{false};
    std::mutex json_mutex;
    const auto started = std::chrono::steady_clock::now();
    auto work = [&] {
        for (size_t i; !halt && !stop_requested() && (i = next++) < jobs.size();) {
            const Job& job = jobs[i];
            const auto t0 = std::chrono::steady_clock::now();
            Status status = Status::done;
            std::string error;
            std::optional<Outcome> out;
            if (o.skip_existing && std::all_of(job.outputs.begin(), job.outputs.end(), [](const std::string& p) { return fs::exists(p); })) {
                status = Status::skipped;
            } else {
                Options one = o;  // the single-image path, for this file
                one.input = job.input;
                one.outputs = job.outputs;
                one.json = false;
                try {
                    std::error_code ec;
                    for (const std::string& p : job.outputs) fs::create_directories(fs::path(p).parent_path(), ec);
                    out = process(one);
                } catch (const Failure& f) {
                    status = Status::failed;
                    error = f.subject + ": " + f.message;
                } catch (const std::exception& e) {  // out of memory, an OpenCV assertion: this file only
                    status = Status::failed;
                    error = job.input + ": " + e.what();
                }
            }
            (status == Status::done ? tally.done : status == Status::skipped ? tally.skipped : tally.failed)++;
            if (status == Status::failed) {
                report_error(error);
                if (o.fail_fast) halt = true;
            }
            if (o.json) {
                const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
                const std::string line = record(job, status, out ? &*out : nullptr, error, ms).dump() + "\n";
                const std::lock_guard<std::mutex> lock(json_mutex);
                std::cout << line << std::flush;
                if (!std::cout) halt = true;  // nobody reads the records any more: stop starting files
            }
        }
    };
    {
        const Progress progress(o, jobs.size(), tally);
        std::vector<std::thread> pool;
        for (unsigned w = 1; w < workers; ++w) pool.emplace_back(work);
        work();
        for (std::thread& t : pool) t.join();
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const size_t not_started = jobs.size() - tally.finished();
    spdlog::info("{} done, {} skipped, {} failed{} in {:.1f} s ({:.1f} files/s)", size_t(tally.done), size_t(tally.skipped),
                 size_t(tally.failed), not_started ? ", " + std::to_string(not_started) + " not started" : "", seconds,
                 seconds > 0 ? double(tally.done) / seconds : 0.0);
    if (o.json) {
        std::cout << nlohmann::json{{"summary", true}, {"done", size_t(tally.done)}, {"skipped", size_t(tally.skipped)},
                                    {"failed", size_t(tally.failed)}, {"not_started", not_started}, {"seconds", seconds},
                                    {"peak_rss_kb", peak_rss_kb()}}
                         .dump()
                  << "\n"
                  << std::flush;
    }
    if (stop_requested()) return stop_exit_code();
    if (o.json && !std::cout) {
        report_error("stdout: write failed");
        return io_failure;
    }
    return tally.failed ? io_failure : ok;
}

}  // namespace imgpool::cli
