"""The demo's quarterly reviews: last quarter's, finished for the first district's in-charge
(spot checks recorded, assessed, answered, signed by both), and in progress for the second's
(one check recorded, notes begun). Written through the review services, like the rest."""
from caseflow.demo import data
from caseflow.reviews import services as reviews
from caseflow.reviews.models import Assessment, CheckAnswer
from caseflow.reviews.quarters import last_ended

Y, N, NOT = CheckAnswer.YES, CheckAnswer.NO, CheckAnswer.NOT_CHECKED


def add_reviews(seeder) -> int:
    """Returns how many reviews it opened."""
    quarter = last_ended(seeder.today)
    users = seeder.users
    done = reviews.open_review(users["supervisor1"], users["incharge1"], quarter, seed=seeder.rng.getrandbits(48))
    for i, check in enumerate(done.checks):
        reviews.record_check(done, check, users["supervisor1"], expected_version=done.version,
                             reachable=Y, received=N if i == 2 else Y, file_complete=N if i == 4 else Y,
                             note=data.REVIEW_CHECK_NOTE if i == 2 else None)
    reviews.save_notes(done, users["supervisor1"], expected_version=done.version, notes=data.REVIEW_NOTES,
                       assessment=Assessment.GOOD)
    reviews.sign(done, users["supervisor1"], "sign_supervisor", expected_version=done.version)
    reviews.save_response(done, users["incharge1"], expected_version=done.version, response=data.REVIEW_RESPONSE)
    reviews.sign(done, users["incharge1"], "sign_incharge", expected_version=done.version)

    going = reviews.open_review(users["supervisor2"], users["incharge2"], quarter, seed=seeder.rng.getrandbits(48))
    if going.checks:
        reviews.record_check(going, going.checks[0], users["supervisor2"], expected_version=going.version,
                             reachable=Y, received=Y, file_complete=NOT, note=None)
    reviews.save_notes(going, users["supervisor2"], expected_version=going.version,
                       notes=data.REVIEW_NOTES_DRAFT, assessment=None)
    return 2
