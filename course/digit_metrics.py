"""Measures on the digits, shared by the course's figures and lessons and the grader's smoke items: the
mean-image baseline, k-nearest-neighbour accuracy of latent codes, the latent grid, the distance of samples
to the training set, a digit classifier and how often it reads images as their labels."""
from __future__ import annotations

import torch


def mean_image_mse(x_train: torch.Tensor, x_test: torch.Tensor) -> float:
    """Per-pixel MSE of predicting every test image by the mean training image (the baseline)."""
    return float(((x_test - x_train.mean(0)) ** 2).mean())


def knn_accuracy(train_codes: torch.Tensor, y_train: torch.Tensor, test_codes: torch.Tensor,
                 y_test: torch.Tensor, k: int = 5) -> float:
    """Test accuracy of a k-nearest-neighbour classifier (scikit-learn) on latent codes."""
    from sklearn.neighbors import KNeighborsClassifier

    clf = KNeighborsClassifier(n_neighbors=k).fit(train_codes.double().numpy(), y_train.numpy())
    return float(clf.score(test_codes.double().numpy(), y_test.numpy()))


def latent_grid(n: int = 10) -> torch.Tensor:
    """(n*n, 2) standard-normal quantiles of an evenly spaced grid of probabilities in [0.05, 0.95]."""
    q = torch.distributions.Normal(0.0, 1.0).icdf(torch.linspace(0.05, 0.95, n))
    return torch.cartesian_prod(q, q)


def nearest_mse(images: torch.Tensor, reference: torch.Tensor) -> float:
    """Mean over ``images`` of the per-pixel MSE to the nearest ``reference`` image."""
    d = torch.cdist(images.double(), reference.double()) ** 2 / images.shape[1]
    return float(d.min(dim=1).values.mean())


def digit_classifier(x_train: torch.Tensor, y_train: torch.Tensor, c: float = 0.1):
    """The grader's own digit recogniser: scikit-learn's LogisticRegression on binarized (N, 784) digits.

    About 1 s on the embedded set (single-threaded BLAS: two BLAS threads on a busy machine take 20x
    longer); 97% accuracy on the binarized test digits."""
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    x = torch.round(x_train).double().numpy()
    with threadpool_limits(1, user_api="blas"):
        return LogisticRegression(C=c, max_iter=300).fit(x, y_train.numpy())


def recognition_rates(classifier, images: torch.Tensor, labels: torch.Tensor, n_classes: int = 10) -> dict:
    """How often ``classifier`` reads ``images`` (N, 784) as their ``labels`` (N,): {"rate", "per_class"}."""
    predicted = torch.from_numpy(classifier.predict(images.detach().cpu().clamp(0, 1).double().numpy()))
    hit = (predicted == labels.cpu()).double()
    return {"rate": float(hit.mean()), "per_class": [float(hit[labels.cpu() == k].mean()) for k in range(n_classes)]}
