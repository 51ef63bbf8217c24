"""Command line: `python -m mlcourse build|grade|merge|export|report|workspace ...`."""
import sys

USAGE = """usage: python -m mlcourse COMMAND [...]

commands:
  build   execute lectures/ and solutions/ reproducibly and generate exercises/
          (python -m mlcourse build --help)
  grade   grade submitted exercise notebooks into a CSV gradebook
          (python -m mlcourse grade --help)
  merge   join the part CSVs of a sharded grading run into one gradebook
          (python -m mlcourse merge PART.csv ... --out grades.csv)
  export  write gradebooks in an LMS's import format
          (python -m mlcourse export grades.csv --format canvas|moodle --out FILE)
  report  item analysis of a gradebook: an offline HTML page and a summary for an email
          (python -m mlcourse report grades.csv --out report/)
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
    elif command == "merge":
        from mlcourse.grading.scale import main as run
    elif command == "export":
        from mlcourse.grading.export import main as run
    elif command == "report":
        from mlcourse.grading.report import main as run
    elif command == "workspace":
        from mlcourse.workspace import main as run
    else:
        print(f"unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
        return 2
    return run(rest)


if __name__ == "__main__":
    sys.exit(main())
