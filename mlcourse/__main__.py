"""Command line: `python -m mlcourse build|grade|workspace ...`."""
import sys

USAGE = """usage: python -m mlcourse COMMAND [...]

commands:
  build   execute lectures/ and solutions/ reproducibly and generate exercises/
          (python -m mlcourse build --help)
  grade   grade submitted exercise notebooks into a CSV gradebook
          (python -m mlcourse grade --help)
  workspace copy the lectures and exercises into my-work/ (git-ignored) for a student,
          never overwriting their changes; write the course home my-work/HOME.md
"""


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    command, rest = argv[0], argv[1:]
    if command == "build":
        from mlcourse.grading.build import main as run
    elif command == "grade":
        from mlcourse.grading.grader import main as run
    elif command == "workspace":
        from mlcourse.workspace import main as run
    else:
        print(f"unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
        return 2
    return run(rest)


if __name__ == "__main__":
    sys.exit(main())
