/* A forked child runs SimGrid; the parent collects its reply and, when it fails, the first line it printed. */
#include "fabric/simgrid_import_process.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* A reply larger than this is not from a platform vdc can use (1024 hosts give about 30 MB of routes). */
#define MAX_REPLY_BYTES ((size_t)1 << 30)
/* Only the first line of what SimGrid prints is reported; a little more is kept to find it. */
#define MAX_PRINTED_BYTES 8192

bool fabric_simgrid_check_platform_file(const char *path, struct vdc_error *err)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return vdc_fail(err, "%s: cannot open the platform file (%s); check the path", path, strerror(errno));
    struct stat st;
    bool folder = fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode);
    fclose(f);
    if (folder)
        return vdc_fail(err, "%s: is a folder, not a SimGrid platform file", path);
    return true;
}

void fabric_simgrid_reply_free(struct simgrid_reply *reply)
{
    free(reply->text);
    reply->text = NULL;
    reply->size = 0;
}

static const char *skip_prefix_part(const char *p)
{
    if (*p == '[') { /* "[0.000000] " or "[xbt_exception/ERROR] " */
        const char *close = strchr(p, ']');
        if (close != NULL && close[1] == ' ' && memchr(p, '\n', (size_t)(close - p)) == NULL)
            return close + 2;
        return p;
    }
    /* "./src/xbt/exception.cpp:95: ": a file name without spaces, a line number */
    const char *q = p;
    while (*q != '\0' && *q != ' ' && *q != ':' && *q != '\n')
        q++;
    if (q == p || *q != ':' || !isdigit((unsigned char)q[1]))
        return p;
    q++;
    while (isdigit((unsigned char)*q))
        q++;
    return q[0] == ':' && q[1] == ' ' ? q + 2 : p;
}

void fabric_simgrid_first_message(const char *printed, char *out, size_t size)
{
    const char *line = printed;
    while (*line == '\n' || *line == ' ' || *line == '\r')
        line++;
    for (const char *next = skip_prefix_part(line); next != line; next = skip_prefix_part(line))
        line = next;
    static const char uncaught[] = "Uncaught exception ";
    if (strncmp(line, uncaught, sizeof uncaught - 1) == 0) { /* "Uncaught exception std::invalid_argument: " */
        const char *colon = strstr(line, ": ");
        const char *end = strchr(line, '\n');
        if (colon != NULL && (end == NULL || colon < end))
            line = colon + 2;
    }
    size_t n = strcspn(line, "\r\n");
    while (n > 0 && (line[n - 1] == '.' || line[n - 1] == ' '))
        n--; /* messages here end without a period */
    snprintf(out, size, "%.*s", (int)n, line);
}

/* Reads both pipes until the child closes them: the reply (bounded) and the start of what it printed. */
static bool collect(int reply_fd, int printed_fd, struct simgrid_reply *reply, char *printed, size_t printed_size)
{
    size_t cap = 4096, printed_used = 0;
    bool too_large = false;
    reply->text = vdc_xmalloc(cap);
    reply->size = 0;
    struct pollfd fds[2] = {{reply_fd, POLLIN, 0}, {printed_fd, POLLIN, 0}};
    int open_count = 2;
    while (open_count > 0) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || fds[i].revents == 0)
                continue;
            char chunk[65536];
            ssize_t got = read(fds[i].fd, chunk, sizeof chunk);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0) {
                fds[i].fd = -1;
                open_count--;
                continue;
            }
            size_t n = (size_t)got;
            if (i == 1) {
                size_t room = printed_size - 1 - printed_used;
                memcpy(printed + printed_used, chunk, n < room ? n : room);
                printed_used += n < room ? n : room;
            } else if (reply->size + n > MAX_REPLY_BYTES) {
                too_large = true; /* keep reading so that the child can finish and be reaped */
            } else {
                while (reply->size + n + 1 > cap)
                    cap *= 2;
                reply->text = vdc_xrealloc(reply->text, cap, 1);
                memcpy(reply->text + reply->size, chunk, n);
                reply->size += n;
            }
        }
    }
    printed[printed_used] = '\0';
    reply->text[reply->size] = '\0';
    return !too_large;
}

static _Noreturn void run_body(int reply_fd, int printed_fd, simgrid_child_body body, const void *arg)
{
    /* SimGrid prints to both stdout and stderr; both go to the parent's capture. */
    if (dup2(printed_fd, STDOUT_FILENO) < 0 || dup2(printed_fd, STDERR_FILENO) < 0)
        _exit(126);
    FILE *out = fdopen(reply_fd, "w");
    if (out == NULL)
        _exit(126);
    body(out, arg);
    bool written = fflush(out) == 0 && !ferror(out);
    fflush(stdout);
    fflush(stderr);
    _exit(written ? 0 : 125);
}

/* The reply is complete when its last line is "end". */
static bool complete(const struct simgrid_reply *reply)
{
    return reply->size >= 4 && strcmp(reply->text + reply->size - 4, "end\n") == 0 &&
           (reply->size == 4 || reply->text[reply->size - 5] == '\n');
}

static bool report_failure(const char *path, int status, const struct simgrid_reply *reply, const char *printed,
                           struct vdc_error *err)
{
    const char *error_line = strncmp(reply->text, "error ", 6) == 0 ? reply->text : strstr(reply->text, "\nerror ");
    if (error_line != NULL) {
        error_line += error_line[0] == '\n' ? 7 : 6;
        return vdc_fail(err, "%s: %.*s", path, (int)strcspn(error_line, "\n"), error_line);
    }
    char message[512];
    fabric_simgrid_first_message(printed, message, sizeof message);
    if (message[0] != '\0')
        return vdc_fail(err, "%s: SimGrid refused the platform: %s", path, message);
    if (WIFSIGNALED(status))
        return vdc_fail(err, "%s: SimGrid refused the platform: it stopped on signal %d (%s) without a message",
                        path, WTERMSIG(status), strsignal(WTERMSIG(status)));
    return vdc_fail(err, "%s: SimGrid refused the platform: it exited with status %d without a message", path,
                    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

bool fabric_simgrid_run_child(const char *path, simgrid_child_body body, const void *arg, struct simgrid_reply *reply,
                       struct vdc_error *err)
{
    memset(reply, 0, sizeof *reply);
    int reply_pipe[2], printed_pipe[2];
    if (pipe2(reply_pipe, O_CLOEXEC) != 0)
        return vdc_fail(err, "%s: cannot create a pipe for SimGrid (%s)", path, strerror(errno));
    if (pipe2(printed_pipe, O_CLOEXEC) != 0) {
        close(reply_pipe[0]);
        close(reply_pipe[1]);
        return vdc_fail(err, "%s: cannot create a pipe for SimGrid (%s)", path, strerror(errno));
    }
    fflush(NULL); /* nothing buffered here may be written twice if SimGrid calls exit() in the child */
    pid_t child = fork();
    if (child == 0) {
        close(reply_pipe[0]);
        close(printed_pipe[0]);
        run_body(reply_pipe[1], printed_pipe[1], body, arg);
    }
    close(reply_pipe[1]);
    close(printed_pipe[1]);
    if (child < 0) {
        close(reply_pipe[0]);
        close(printed_pipe[0]);
        return vdc_fail(err, "%s: cannot start a process for SimGrid (%s)", path, strerror(errno));
    }
    char printed[MAX_PRINTED_BYTES];
    bool fits = collect(reply_pipe[0], printed_pipe[0], reply, printed, sizeof printed);
    close(reply_pipe[0]);
    close(printed_pipe[0]);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    bool ok = fits && WIFEXITED(status) && WEXITSTATUS(status) == 0 && complete(reply);
    if (!ok) {
        if (!fits)
            vdc_fail(err, "%s: the platform is too large to import (its description exceeds 1 GiB)", path);
        else
            report_failure(path, status, reply, printed, err);
        fabric_simgrid_reply_free(reply);
    }
    return ok;
}
