"""Why a built package cannot serve: the cause from its output, and the fix with the exact line."""

from __future__ import annotations

from importlib import metadata

from lambdaserve.package.diagnose import cause_of, missing_module, package_failure

# The runtime's log line when the loader refuses (runtime/app.py), and awslambdaric's init error.
LOGGED = ('{"level":"ERROR","message":"the model did not load","function":"m","error_type":"ModelLoadError",'
          '"error":"pickle cannot load /var/task/model/model.joblib: ModuleNotFoundError: No module named '
          '\'lightgbm\'","hint":"The pickle needs the module \'lightgbm\': add its package to '
          'function.requirements."}')
INIT_ERROR = ('{"errorMessage": "pickle cannot load /var/task/model/model.joblib: UnpicklingError: '
              'invalid load key, \'h\'.", "errorType": "ModelLoadError", "requestId": "", "stackTrace": []}')


def test_missing_modules_are_read_from_each_way_they_are_reported():
    assert missing_module("ModuleNotFoundError: No module named 'lightgbm.sklearn'") == "lightgbm"
    assert missing_module("predictor module scorer needs pandas, which is not installed") == "pandas"
    assert missing_module("The pickle needs the module 'xgboost.core'") == "xgboost"
    assert missing_module("ValueError: could not convert string to float") is None


def test_the_runtime_log_line_gives_the_cause_and_the_loader_hint_whole():
    cause, hint = cause_of("START RequestId: 1\n" + LOGGED + "\nEND RequestId: 1")
    assert cause.endswith("No module named 'lightgbm'") and "/var/task/model/model.joblib" in cause
    assert hint == "The pickle needs the module 'lightgbm': add its package to function.requirements."


def test_a_missing_module_names_its_distribution_and_the_line_for_lambdaserve_toml():
    version = metadata.version("click")
    error = package_failure("No module named 'click'", ["scikit-learn==1.7.2"], what="load the model",
                            distributions=lambda: {"click": ["click"]})
    assert "needs the module 'click'" in error.message
    assert f'requirements = ["scikit-learn==1.7.2", "click=={version}"]' in error.hint
    assert "[function]" in error.hint


def test_a_module_no_installed_distribution_provides_says_so():
    error = package_failure(LOGGED, [], what="load the model", distributions=lambda: {})
    assert "no installed distribution provides here either" in error.message
    assert "add its package to function.requirements" in error.hint  # the loader's own hint


def test_a_file_that_is_not_a_model_gives_the_loader_cause():
    error = package_failure("START\n" + INIT_ERROR + "\nEND", [], what="load the model")
    assert error.message == ("the package cannot load the model: ModelLoadError: pickle cannot load "
                             "/var/task/model/model.joblib: UnpicklingError: invalid load key, 'h'.")


def test_a_traceback_gives_its_last_error_line():
    text = "Traceback (most recent call last):\n  File \"x.py\", line 1\nRuntimeError: boom\n"
    assert cause_of(text) == ("RuntimeError: boom", "")


def test_an_unhandled_error_in_predict_gives_the_traceback_last_line():
    logged = ('{"level":"ERROR","message":"unhandled error","function":"m","request_id":"1",'
              '"error_type":"ValueError","traceback":"Traceback (most recent call last):\\n  '
              'File \\"p.py\\", line 3, in predict\\nValueError: fitted on 3 features, got 2\\n"}')
    assert cause_of("START\n" + logged + '\n{"error": {"message": "internal error"}}') == (
        "ValueError: fitted on 3 features, got 2", "")


def test_a_log_without_errors_has_no_cause_unless_the_last_line_is_wanted():
    log = 'START RequestId: 1\n127.0.0.1 "POST /prod/predict HTTP/1.1" 200 145 52.9 ms\nEND RequestId: 1'
    assert cause_of(log, last_line=False) == ("", "")
    assert cause_of(log) == ("END RequestId: 1", "")


def test_a_data_file_read_beside_the_predictor_is_named_with_where_to_put_it():
    # the runtime's log line when a predictor's load fails (runtime/app.py)
    logged = ('{"level":"ERROR","message":"the model did not load","function":"m",'
              '"error_type":"ModelLoadError","error":"price_predictor:Predictor.load(\'/var/task/model\') '
              'failed: FileNotFoundError: [Errno 2] No such file or directory: \'/var/task/rates.json\'",'
              '"hint":"Fix load(model_dir) in your predictor; the original error is chained to this one."}')
    error = package_failure(logged, [], what="load the model", distributions=lambda: {})
    assert error.message.endswith("No such file or directory: '/var/task/rates.json'")
    assert "put rates.json in the model folder" in error.hint
    assert 'Path(model_dir) / "rates.json"' in error.hint
    # a file missing from the model folder itself is the loader's business: its own hint stays
    inside = logged.replace("/var/task/rates.json", "/var/task/model/rates.json")
    assert package_failure(inside, [], what="load the model").hint.startswith("Fix load(model_dir)")
